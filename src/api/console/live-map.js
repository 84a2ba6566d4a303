// The live map: a published map drawn by the engine's SVG renderer, with the numbers of the moment on its cards
// (customers in each stage, at risk, attainment on each milestone) and the customers behind each number on a click.
import { api, apiJson, esc, table, timelineLink, when } from './api.js';
import { drawCharts } from './charts.js';

const SVG = 'http://www.w3.org/2000/svg';
const STANDING_WORDS = { onTime: 'reached on time', late: 'reached late', reached: 'reached', missed: 'missed', pending: 'pending' };
/** The map shown: its id, version and published document. */
let shown;
let versions = [];

const filterOf = ({ id, version }) => `mapId=${encodeURIComponent(id)}&mapVersion=${version}`;

/** The maps table (owner and review, when the API gives them) and the map picker, then the chosen map. */
export async function loadMaps() {
  ({ maps: versions } = await apiJson('/v1/maps'));
  document.getElementById('maps').innerHTML = table(
    ['Map', 'Version', 'Name', 'Segments', 'Published', 'Owner', 'Last reviewed'],
    versions.map((m) => `<tr class="pick" data-map="${esc(m.id)}" data-version="${esc(m.version)}">
      <td>${esc(m.id)}</td><td>v${esc(m.version)}</td><td>${esc(m.name)}</td><td>${esc(m.segments.join(', '))}</td><td>${when(m.publishedAt)}</td>
      <td>${esc(m.owner ?? '')}</td><td>${esc(m.lastReviewed ?? '')}${m.reviewOverdue ? ' <span class="risk review-overdue">review overdue</span>' : ''}</td></tr>`),
    'No map published yet.',
  );
  const picker = document.getElementById('map-pick');
  picker.innerHTML = versions.map((m) => `<option value="${esc(m.id)}@${esc(m.version)}">${esc(m.id)} v${esc(m.version)}: ${esc(m.name)}</option>`).join('');
  // The newest version of the first map, until someone picks another.
  const first = versions.filter((m) => m.id === versions[0]?.id).sort((a, b) => b.version - a.version)[0];
  const pick = shown ?? first;
  if (!pick) return;
  picker.value = `${pick.id}@${pick.version}`;
  await showMap(pick.id, pick.version);
}

export async function showMap(id, version) {
  const response = await api(`/v1/maps/${encodeURIComponent(id)}/diagram.svg?version=${version}`);
  const diagram = document.getElementById('map-diagram');
  // The renderer escapes every text of the map, and the CSP runs no script an SVG could carry.
  diagram.innerHTML = response.ok ? await response.text() : `<pre>${esc(await response.text())}</pre>`;
  document.getElementById('map-customers').innerHTML = '<p>Click a stage or a milestone to list its customers.</p>';
  shown = { id, version, map: await apiJson(`/v1/maps/${encodeURIComponent(id)}?version=${version}`) };
  await refreshMap();
}

/** The numbers of the moment, on the cards and in the table beside them; the charts from the same answers. */
export async function refreshMap() {
  if (!shown) return;
  const filter = filterOf(shown);
  const milestoneIds = shown.map.stages.flatMap((stage) => stage.milestones.map((m) => m.id));
  const [funnel, attainment, pending, running] = await Promise.all([
    apiJson(`/v1/analytics/funnel?${filter}`),
    apiJson(`/v1/analytics/milestones?${filter}`),
    Promise.all(milestoneIds.map((m) => apiJson(`/v1/analytics/journeys?${filter}&milestone=${encodeURIComponent(m)}`))),
    versionsRun(shown.id),
  ]);
  const stages = new Map(funnel.stages.map((s) => [s.stage, s]));
  const milestones = new Map(attainment.milestones.map((m) => [m.milestone, m]));
  const pendingOf = new Map(pending.map((answer) => [answer.milestone, answer.journeys.filter((j) => j.milestone.status === 'pending').length]));
  const stageRows = shown.map.stages.map((stage) => {
    const now = stages.get(stage.id)?.now ?? { journeys: 0, atRisk: 0 };
    badge(`[data-stage="${CSS.escape(stage.id)}"]`, `${now.journeys} now · ${now.atRisk} at risk`, now.atRisk > 0 ? '#b42318' : '#1d4ed8');
    return `<tr class="pick" data-stage="${esc(stage.id)}"><td>${esc(stage.name)}</td><td data-figure="now">${now.journeys}</td><td data-figure="atRisk">${now.atRisk}</td></tr>`;
  });
  const milestoneRows = shown.map.stages.flatMap((stage) => stage.milestones).map((m) => {
    const figures = milestones.get(m.id);
    const counts = { onTime: figures?.reached.onTime ?? 0, late: figures?.reached.late ?? 0, missed: figures?.missed ?? 0, pending: pendingOf.get(m.id) ?? 0 };
    badge(`[data-milestone="${CSS.escape(m.id)}"]`, `${counts.onTime} on time · ${counts.late} late · ${counts.missed} missed · ${counts.pending} pending`, counts.missed > 0 ? '#b42318' : '#067647');
    return `<tr class="pick" data-milestone="${esc(m.id)}"><td>${esc(m.name)}</td>${Object.entries(counts).map(([name, n]) => `<td data-figure="${name}">${n}</td>`).join('')}</tr>`;
  });
  document.getElementById('map-numbers').innerHTML = `
    <p id="map-versions">Customers running ${esc(shown.id)}: ${running.map((r) => `<span data-version="${r.version}">v${r.version}: ${r.journeys}</span>`).join(' · ') || 'none'}</p>
    ${table(['Stage', 'Now', 'At risk'], stageRows)}
    ${table(['Milestone', 'On time', 'Late', 'Missed', 'Pending'], milestoneRows)}`;
  drawCharts(shown, funnel, attainment);
}

/** How many running journeys each published version of the map has now (the funnel's `now`, version by version). */
async function versionsRun(id) {
  const published = versions.filter((m) => m.id === id).sort((a, b) => a.version - b.version);
  const funnels = await Promise.all(published.map((m) => apiJson(`/v1/analytics/funnel?${filterOf(m)}`)));
  return published.map((m, i) => ({ version: m.version, journeys: funnels[i].stages.reduce((sum, s) => sum + s.now.journeys, 0) }));
}

/** A pill of numbers on a card's top edge, sized to its text once drawn. */
function badge(selector, text, color) {
  const card = document.querySelector(`#map-diagram ${selector}`);
  const box = card?.querySelector('rect');
  if (!box) return;
  card.querySelector('.live')?.remove();
  const right = Number(box.getAttribute('x')) + Number(box.getAttribute('width')) - 6;
  const top = Number(box.getAttribute('y')) - 8;
  const group = document.createElementNS(SVG, 'g');
  group.setAttribute('class', 'live');
  const pill = document.createElementNS(SVG, 'rect');
  const label = document.createElementNS(SVG, 'text');
  label.setAttribute('x', String(right - 6));
  label.setAttribute('y', String(top + 11));
  label.setAttribute('text-anchor', 'end');
  label.setAttribute('font-size', '11');
  label.setAttribute('font-weight', 'bold');
  label.setAttribute('fill', '#ffffff');
  label.textContent = text;
  group.append(pill, label);
  card.append(group);
  const width = label.getComputedTextLength() + 12;
  Object.entries({ x: right - width, y: top, width, height: 15, rx: 7, fill: color }).forEach(([name, value]) => pill.setAttribute(name, String(value)));
}

/** The customers behind a stage's number (in it now) or a milestone's (where each stands on it). */
async function listCustomers(kind, id) {
  const answer = await apiJson(`/v1/analytics/journeys?${filterOf(shown)}&${kind}=${encodeURIComponent(id)}`);
  const rows = answer.journeys.map((j) => `<tr data-customer="${esc(j.customerId)}"><td>${timelineLink(j.customerId)}</td><td>${esc(j.company)}</td>
    <td>${esc(j.stage)}</td><td>v${esc(j.mapVersion)}</td>
    <td>${j.milestone ? `<span class="${esc(j.milestone.status)}">${STANDING_WORDS[j.milestone.status]}</span> ${when(j.milestone.at)}` : esc(j.status)}</td>
    <td>${j.atRisk ? '<span class="risk">at risk</span>' : ''}</td></tr>`);
  document.getElementById('map-customers').innerHTML = `<h2 id="map-customers-title">Customers ${kind === 'stage' ? 'in stage' : 'on milestone'} ${esc(id)}${answer.truncated ? ' (the first 500)' : ''}</h2>
    ${table(['Customer', 'Company', 'Stage', 'Version', kind === 'stage' ? 'Status' : 'Milestone', ''], rows, 'No customers.')}`;
}

export function wireLiveMap() {
  document.getElementById('map-pick').addEventListener('change', (event) => {
    const [id, version] = event.target.value.split('@');
    showMap(id, Number(version));
  });
  document.getElementById('maps').addEventListener('click', (event) => {
    const row = event.target.closest('tr[data-map]');
    if (!row) return;
    document.getElementById('map-pick').value = `${row.dataset.map}@${row.dataset.version}`;
    showMap(row.dataset.map, Number(row.dataset.version));
  });
  for (const where of ['map-diagram', 'map-numbers']) {
    document.getElementById(where).addEventListener('click', (event) => {
      const picked = event.target.closest('[data-stage], [data-milestone]');
      if (picked) listCustomers(picked.dataset.stage ? 'stage' : 'milestone', picked.dataset.stage ?? picked.dataset.milestone);
    });
  }
}
