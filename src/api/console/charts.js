// The charts of the live map, drawn with Chart.js (its browser build, /vendor/chart.umd.min.js, defines window.Chart):
// the stage funnel, the milestone attainment curve by day, and an experiment's arms compared.
import { apiJson, esc, percent, table } from './api.js';

const COLORS = ['#1d4ed8', '#c2410c', '#067647', '#7e22ce', '#b42318', '#0e7490', '#a16207'];
const charts = new Map();

/** One chart per canvas: the old one goes before the new one is drawn (Chart.js refuses a canvas in use). */
function draw(canvasId, config) {
  charts.get(canvasId)?.destroy();
  // No animation: the numbers are there at once, for people refreshing and for screenshots alike.
  charts.set(canvasId, new window.Chart(document.getElementById(canvasId), { ...config, options: { animation: false, responsive: true, maintainAspectRatio: false, ...config.options } }));
}

export function drawCharts(shown, funnel, attainment) {
  drawFunnel(shown.map, funnel.stages);
  drawCurve(shown.map, attainment.milestones);
  showExperimentPicker(shown);
}

function drawFunnel(map, figures) {
  const byStage = new Map(figures.map((s) => [s.stage, s]));
  draw('funnel-chart', {
    type: 'bar',
    data: {
      labels: map.stages.map((s) => s.name),
      datasets: [
        { label: 'journeys that entered', data: map.stages.map((s) => byStage.get(s.id)?.entered.journeys ?? 0), backgroundColor: '#93c5fd' },
        { label: 'in it now', data: map.stages.map((s) => byStage.get(s.id)?.now.journeys ?? 0), backgroundColor: '#1d4ed8' },
        { label: 'at risk now', data: map.stages.map((s) => byStage.get(s.id)?.now.atRisk ?? 0), backgroundColor: '#b42318' },
      ],
    },
    options: { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

function drawCurve(map, milestones) {
  const names = new Map(map.stages.flatMap((s) => s.milestones).map((m) => [m.id, m.name]));
  const population = milestones[0]?.curve.population ?? 0;
  document.getElementById('curve-note').textContent = population
    ? `Share of the ${population} first terms of this version that reached each milestone within each day since purchase.`
    : 'No first terms of this version yet.';
  draw('curve-chart', {
    type: 'line',
    data: {
      datasets: milestones.map((m, i) => ({
        label: names.get(m.milestone) ?? m.name ?? m.milestone,
        data: m.curve.points.map((p) => ({ x: p.day, y: p.rate === null ? null : p.rate * 100 })),
        borderColor: COLORS[i % COLORS.length],
        backgroundColor: COLORS[i % COLORS.length],
        stepped: true,
        pointRadius: 0,
      })),
    },
    options: {
      scales: {
        x: { type: 'linear', beginAtZero: true, title: { display: true, text: 'days since purchase' } },
        y: { min: 0, max: 100, title: { display: true, text: '% reached' } },
      },
    },
  });
}

function showExperimentPicker(shown) {
  const box = document.getElementById('experiment');
  const experiments = shown.map.experiments ?? [];
  if (experiments.length === 0) {
    charts.get('experiment-chart')?.destroy();
    charts.delete('experiment-chart');
    box.innerHTML = '<p id="no-experiment">No experiment in this map.</p>';
    return;
  }
  const milestones = shown.map.stages.flatMap((s) => s.milestones);
  // A refresh keeps what the person picked (the same experiment and milestone, when this map has them).
  const picked = document.getElementById('experiment-form');
  const before = picked ? Object.fromEntries(new FormData(picked)) : {};
  box.innerHTML = `
    <form id="experiment-form">
      <select name="experiment">${experiments.map((e) => `<option value="${esc(e.id)}">${esc(e.name ?? e.id)}</option>`).join('')}</select>
      on <select name="milestone">${milestones.map((m) => `<option value="${esc(m.id)}">${esc(m.name)}</option>`).join('')}</select>
    </form>
    <div class="chart"><canvas id="experiment-chart"></canvas></div>
    <div id="experiment-figures"></div>`;
  const form = document.getElementById('experiment-form');
  const offers = (name, value) => [...form.elements[name].options].some((option) => option.value === value);
  // First the milestone the experiment is meant to move (the map names it), else the map's first one.
  const target = () => experiments.find((e) => e.id === form.elements.experiment.value)?.milestone;
  const aimAtTarget = () => { if (offers('milestone', target())) form.elements.milestone.value = target(); };
  aimAtTarget();
  for (const [name, value] of Object.entries(before)) if (offers(name, value)) form.elements[name].value = value;
  form.addEventListener('change', (event) => {
    if (event.target.name === 'experiment') aimAtTarget();
    drawExperiment(shown, form);
  });
  return drawExperiment(shown, form);
}

/** Each arm's attainment, and each arm's difference from the control with its 95 % confidence interval. */
async function drawExperiment(shown, form) {
  const { experiment, milestone } = Object.fromEntries(new FormData(form));
  const answer = await apiJson(`/v1/analytics/experiment?mapId=${encodeURIComponent(shown.id)}&mapVersion=${shown.version}&experiment=${encodeURIComponent(experiment)}&milestone=${encodeURIComponent(milestone)}`);
  const against = new Map(answer.comparisons.map((c) => [c.arm, c]));
  const arms = answer.arms.map((a) => a.arm);
  draw('experiment-chart', {
    type: 'bar',
    data: {
      labels: arms,
      datasets: [
        { label: `% reaching ${milestone}`, data: answer.arms.map((a) => (a.attainment === null ? null : a.attainment * 100)), backgroundColor: '#93c5fd' },
        {
          label: `difference from ${answer.control}, 95 % interval (points)`,
          data: arms.map((arm) => { const d = against.get(arm)?.attainment; return d ? [d.low * 100, d.high * 100] : null; }),
          backgroundColor: arms.map((arm) => (against.get(arm)?.attainment?.significant ? '#067647' : '#9ca3af')),
        },
      ],
    },
    options: { scales: { y: { title: { display: true, text: '% / points' } } } },
  });
  document.getElementById('experiment-figures').innerHTML = `
    ${table(['Arm', 'Journeys', 'Reached', 'Attainment', 'Renewed', 'Churned'], answer.arms.map((a) => `<tr data-arm="${esc(a.arm)}"><td>${esc(a.arm)}</td><td>${a.journeys}</td><td>${a.reached}</td><td>${percent(a.attainment)}</td><td>${a.renewed}</td><td>${a.churned}</td></tr>`), 'No customer in an arm yet.')}
    <ul>${answer.comparisons.map((c) => `<li>${esc(c.verdict)}</li>`).join('')}</ul>`;
}
