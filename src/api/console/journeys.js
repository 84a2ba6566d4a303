// The journeys view: the list (running, or ended too) and one journey's details, with its owner tasks to complete.
import { api, apiJson, askForKey, esc, hasKey, table, timelineLink, when } from './api.js';

const STATUS_WORDS = { RUNNING: 'running', COMPLETED: 'ended', CANCELLED: 'cancelled', TERMINATED: 'terminated', FAILED: 'failed', TIMED_OUT: 'timed out' };

export async function loadJourneys(event) {
  event?.preventDefault();
  if (!hasKey()) return askForKey('No API key yet');
  const form = document.getElementById('filter');
  const params = new URLSearchParams([...new FormData(form)].filter(([name, v]) => v && name !== 'ended'));
  // Ended journeys (renewal turned churn, cancelled) are listed only when asked: status=all.
  if (form.elements.ended.checked) params.set('status', 'all');
  const response = await api(`/v1/journeys?${params}`);
  if (!response.ok) return;
  document.getElementById('key-needed').hidden = true;
  const { journeys } = await response.json();
  document.getElementById('journeys').innerHTML = journeys.map((j) => `
    <tr class="pick" data-id="${esc(j.customerId)}">
      <td>${j.company ? `${esc(j.company)}<br><small>${esc(j.customerId)}</small>` : esc(j.customerId)}</td>
      <td>${esc(j.stage)}</td><td>${esc(j.segment)}</td><td>${esc(j.term)}</td>
      <td>${j.atRisk ? '<span class="risk">at risk</span>' : esc(STATUS_WORDS[j.status] ?? j.status.toLowerCase())}</td>
      <td>${timelineLink(j.customerId, 'timeline')}</td>
    </tr>`).join('') || '<tr><td colspan="6">No journeys yet: POST /v1/purchases starts one.</td></tr>';
}

export async function showJourney(customerId) {
  const detail = document.getElementById('detail');
  let j;
  try {
    j = await apiJson(`/v1/customers/${encodeURIComponent(customerId)}/journey`);
  } catch (err) {
    detail.innerHTML = `<pre>${esc(err.message)}</pre>`;
    return;
  }
  const mailResponse = await api(`/v1/mail?journey=${encodeURIComponent(j.workflowId)}`);
  const mail = mailResponse.ok ? (await mailResponse.json()).mail : [];
  detail.innerHTML = `
    <h2>${esc(j.customerId)}: ${esc(j.stage)} (term ${esc(j.term)}) ${j.atRisk ? '<span class="risk">at risk</span>' : ''}</h2>
    <p>Map ${esc(j.mapId)} v${esc(j.mapVersion)} · renews ${when(j.renewalDate)} · ${esc(j.status.toLowerCase())} · ${timelineLink(j.customerId, 'its timeline')}
      ${j.atRiskReasons.map((r) => `<br><span class="risk">${esc(r.reason)}</span> (${when(r.at)})`).join('')}</p>
    <h2>Milestones</h2>
    ${table(['Milestone', 'Status', 'Due', 'Reached'], j.milestones.map((m) => `<tr><td>${esc(m.name)}</td><td class="${esc(m.status)}">${esc(m.status)}</td><td>${when(m.dueAt)}</td><td>${when(m.reachedAt)}</td></tr>`))}
    <h2>Touchpoints</h2>
    ${table(['Touchpoint', 'Owner', 'Due', 'Status', 'Result'], j.touchpoints.map((t) => `<tr><td>${esc(t.name)}<br><small>${esc(t.trigger)}</small></td><td>${esc(t.owner.name)}<br><small>${esc(t.ownerRole)}</small></td><td>${when(t.dueAt)}</td><td class="${esc(t.status)}">${esc(t.status)}</td><td>${esc(t.result)}</td></tr>`))}
    <h2>Owner tasks</h2>
    ${table(['Task', 'Owner', 'Due', 'Status'], j.tasks.map((t) => `<tr><td>${esc(t.title)}</td><td>${esc(t.owner.name)}</td><td>${when(t.dueAt)}</td>
      <td>${t.status === 'done' ? `<span class="done">done</span>: ${esc(t.outcome)}` : `<button data-task="${esc(t.taskId)}" data-customer="${esc(j.customerId)}">Complete…</button>`}</td></tr>`))}
    <h2>Bookings</h2>
    ${table(['Session', 'Starts', 'With', 'Status'], j.bookings.map((b) => `<tr><td>${esc(b.kind)}: ${esc(b.topic)}</td><td>${when(b.startsAt)}</td>
      <td>${esc((b.trainer ?? b.owner).name)}</td><td>${esc(b.status ?? 'booked')}${b.attendance ? ` · ${esc(b.attendance)}` : ''}</td></tr>`))}
    <h2>Stages</h2>
    ${table(['Stage', 'Entered', 'Left', 'Why'], j.stageHistory.map((h) => `<tr><td>${esc(h.stage)}</td><td>${when(h.enteredAt)}</td><td>${when(h.leftAt)}</td><td>${esc(h.reason)}</td></tr>`))}
    ${mailResponse.ok ? `<h2>Mail this journey sent</h2>` + table(['Received', 'To', 'Subject'], mail
      .map((m) => `<tr><td>${when(m.receivedAt)}</td><td>${esc(m.to.join(', '))}</td><td><a href="/v1/mail/${esc(m.id)}.eml" data-with-key>${esc(m.subject)}</a></td></tr>`)) : ''}`;
}

/** The view's own listeners: filtering, picking a row, completing a task (the journey receives it, as through the API). */
export function wireJourneys() {
  document.getElementById('filter').addEventListener('submit', loadJourneys);
  document.getElementById('filter').elements.ended.addEventListener('change', () => loadJourneys());
  document.getElementById('journeys').addEventListener('click', (event) => {
    if (event.target.closest('a')) return;
    const row = event.target.closest('tr[data-id]');
    if (row) showJourney(row.dataset.id);
  });
  document.getElementById('detail').addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-task]');
    if (!button) return;
    const outcome = prompt('Outcome of this task?');
    if (!outcome) return;
    const response = await api(`/v1/tasks/${encodeURIComponent(button.dataset.task)}/complete`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome }),
    });
    if (!response.ok) alert(JSON.stringify(await response.json()));
    showJourney(button.dataset.customer);
  });
}
