// The console's code: a file of its own, so the Content-Security-Policy can forbid inline scripts.
const esc = (value) => String(value ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');
const table = (head, rows) => `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;

// The API refuses every call without a key (401) and with one lacking the scope (403): ask for another.
async function api(url, init = {}) {
  const response = await fetch(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${sessionStorage.getItem('apiKey') ?? ''}` } });
  if (response.status === 401 || response.status === 403) {
    const { error } = await response.clone().json().catch(() => ({ error: response.statusText }));
    askForKey(error);
  }
  return response;
}
function askForKey(why) {
  const needed = document.getElementById('key-needed');
  needed.textContent = `${why}. Enter an API key with the journeys:read scope (journeys:write to complete tasks) above.`;
  needed.hidden = false;
  document.getElementById('api-key').focus();
}
// Links to what needs the key (caught mail) are fetched with it and shown from memory.
async function openWithKey(url) {
  const response = await api(url);
  if (response.ok) window.open(URL.createObjectURL(await response.blob()), '_blank');
}

async function loadJourneys(event) {
  event?.preventDefault();
  if (!sessionStorage.getItem('apiKey')) return askForKey('No API key yet');
  const params = new URLSearchParams([...new FormData(document.getElementById('filter'))].filter(([, v]) => v));
  const response = await api(`/v1/journeys?${params}`);
  if (!response.ok) return;
  document.getElementById('key-needed').hidden = true;
  const { journeys } = await response.json();
  document.getElementById('journeys').innerHTML = journeys.map((j) => `
    <tr class="pick" data-id="${esc(j.customerId)}">
      <td>${esc(j.customerId)}</td><td>${esc(j.stage)}</td><td>${esc(j.segment)}</td><td>${esc(j.term)}</td>
      <td>${j.atRisk ? '<span class="risk">at risk</span>' : esc(j.status.toLowerCase())}</td>
    </tr>`).join('') || '<tr><td colspan="5">No journeys yet: POST /v1/purchases starts one.</td></tr>';
}

async function showJourney(customerId) {
  const response = await api(`/v1/customers/${encodeURIComponent(customerId)}/journey`);
  const j = await response.json();
  if (!response.ok) { document.getElementById('detail').innerHTML = `<pre>${esc(JSON.stringify(j, null, 2))}</pre>`; return; }
  const mailResponse = await api(`/v1/mail?journey=${encodeURIComponent(j.workflowId)}`);
  const mail = mailResponse.ok ? (await mailResponse.json()).mail : [];
  document.getElementById('detail').innerHTML = `
    <h2>${esc(j.customerId)}: ${esc(j.stage)} (term ${esc(j.term)}) ${j.atRisk ? '<span class="risk">at risk</span>' : ''}</h2>
    <p>Map ${esc(j.mapId)} v${esc(j.mapVersion)} · renews ${when(j.renewalDate)} · ${esc(j.status.toLowerCase())}
      ${j.atRiskReasons.map((r) => `<br><span class="risk">${esc(r.reason)}</span> (${when(r.at)})`).join('')}</p>
    <h2>Milestones</h2>
    ${table(['Milestone', 'Status', 'Due', 'Reached'], j.milestones.map((m) => `<tr><td>${esc(m.name)}</td><td class="${m.status}">${m.status}</td><td>${when(m.dueAt)}</td><td>${when(m.reachedAt)}</td></tr>`))}
    <h2>Touchpoints</h2>
    ${table(['Touchpoint', 'Owner', 'Due', 'Status', 'Result'], j.touchpoints.map((t) => `<tr><td>${esc(t.name)}<br><small>${esc(t.trigger)}</small></td><td>${esc(t.owner.name)}<br><small>${esc(t.ownerRole)}</small></td><td>${when(t.dueAt)}</td><td class="${t.status}">${t.status}</td><td>${esc(t.result)}</td></tr>`))}
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

// An owner completes a task from here as through the API: the journey receives it.
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
document.getElementById('filter').addEventListener('submit', loadJourneys);
document.getElementById('journeys').addEventListener('click', (event) => {
  const row = event.target.closest('tr[data-id]');
  if (row) showJourney(row.dataset.id);
});
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-with-key]');
  if (!link) return;
  event.preventDefault();
  openWithKey(link.getAttribute('href'));
});
document.getElementById('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.getElementById('api-key');
  sessionStorage.setItem('apiKey', input.value.trim());
  input.value = '';
  start();
});
// The Temporal UI is wherever this installation put it (TEMPORAL_UI_URL, or the local dev server's port).
async function start() {
  if (!sessionStorage.getItem('apiKey')) return askForKey('No API key yet');
  const response = await api('/v1/console/settings');
  if (!response.ok) return;
  const { temporalUiUrl, namespace } = await response.json();
  document.getElementById('temporal-ui').href = `${temporalUiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows`;
  loadJourneys();
}
start();
setInterval(loadJourneys, 10000);
