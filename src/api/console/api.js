// What every view of the console shares: the API with the key of this browser tab, and HTML made safely.
export const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');
export const table = (head, rows, empty = 'None.') =>
  `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('') || `<tr><td colspan="${head.length}">${empty}</td></tr>`}</tbody></table>`;
/** A share 0..1 as a percentage, or a dash when there is nothing to divide. */
export const percent = (share) => (share === null || share === undefined ? '–' : `${(share * 100).toFixed(1)} %`);
/** A link to one customer's timeline page (the console's own route). */
export const timelineLink = (customerId, text = customerId) => `<a href="#timeline/${encodeURIComponent(customerId)}">${esc(text)}</a>`;

export const hasKey = () => Boolean(sessionStorage.getItem('apiKey'));

// The API refuses every call without a key (401) and with one lacking the scope (403): ask for another.
export async function api(url, init = {}) {
  const response = await fetch(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${sessionStorage.getItem('apiKey') ?? ''}` } });
  if (response.status === 401 || response.status === 403) {
    const { error } = await response.clone().json().catch(() => ({ error: response.statusText }));
    askForKey(error);
  }
  return response;
}

/** The answer's JSON, or an Error carrying the API's own words (a 400 names the field). */
export async function apiJson(url) {
  const response = await api(url);
  const body = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw new Error(`${url}: ${body.error ?? response.status}`);
  return body;
}

export function askForKey(why) {
  const needed = document.getElementById('key-needed');
  needed.textContent = `${why}. Enter an API key with the journeys:read scope (journeys:write to complete tasks) above.`;
  needed.hidden = false;
  document.getElementById('api-key').focus();
}

let settings;
/** Where the Temporal UI is (TEMPORAL_UI_URL) and the journeys' namespace: asked once. */
export async function consoleSettings() {
  settings ??= apiJson('/v1/console/settings').catch((err) => {
    settings = undefined;
    throw err;
  });
  return settings;
}
