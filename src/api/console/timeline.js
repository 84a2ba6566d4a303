// One customer's timeline page: everything in time order, who owns the moment, what is next, and the journey in the Temporal UI.
import { apiJson, esc, table, when } from './api.js';

const person = (owner) => (owner ? `${esc(owner.name)} &lt;${esc(owner.email)}&gt;` : 'nobody named');

export async function showTimeline(customerId) {
  const view = document.getElementById('timeline');
  view.innerHTML = `<h2>Timeline of ${esc(customerId)}</h2><p>Loading…</p>`;
  let t;
  try {
    t = await apiJson(`/v1/customers/${encodeURIComponent(customerId)}/timeline`);
  } catch (err) {
    view.innerHTML = `<h2>Timeline of ${esc(customerId)}</h2><pre>${esc(err.message)}</pre>`;
    return;
  }
  view.innerHTML = `
    <h2>Timeline of ${esc(t.customerId)} ${t.atRisk ? '<span class="risk">at risk</span>' : ''}</h2>
    <p>Map ${esc(t.map)} · term ${esc(t.term)} · stage <b>${esc(t.stage)}</b> · ${esc(t.status.toLowerCase())}
      ${t.paused ? `<br><span class="risk">paused</span> since ${when(t.paused.at)}: ${esc(t.paused.reason)}` : ''}</p>
    <dl class="facts">
      <dt>Owns the moment</dt><dd id="timeline-owner">${person(t.owner)}</dd>
      <dt>Next</dt><dd id="timeline-next">${t.next ? `${esc(t.next.name)} (${esc(t.next.action)}) on ${when(t.next.at)}, by ${person(t.next.owner)}` : 'nothing scheduled'}</dd>
      <dt>In Temporal</dt><dd><a id="timeline-temporal-ui" href="${esc(t.temporalUi)}" target="_blank" rel="noopener">${esc(t.workflowId)} in the Temporal UI</a></dd>
    </dl>
    ${table(['When', 'Term', 'What', ''], t.entries.map((e) => `<tr data-kind="${esc(e.kind)}"><td>${when(e.at)}</td><td>${esc(e.term)}</td><td>${esc(e.title)}</td><td><small>${esc(e.kind)}</small></td></tr>`), 'Nothing yet.')}`;
}
