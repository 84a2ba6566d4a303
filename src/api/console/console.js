// The console's entry (an ES module file of its own, so the Content-Security-Policy can forbid inline scripts):
// the API key, the views by the address's #fragment (#journeys, #map, #timeline/<customerId>), and refreshing.
import { api, askForKey, consoleSettings, hasKey } from './api.js';
import { loadJourneys, wireJourneys } from './journeys.js';
import { loadMaps, refreshMap, wireLiveMap } from './live-map.js';
import { showTimeline } from './timeline.js';

const VIEWS = ['journeys', 'map', 'timeline'];
let mapsLoaded = false;

/** Shows the view the fragment names; the live map loads on its first showing. */
async function route() {
  const [view, ...rest] = location.hash.replace(/^#/, '').split('/');
  const shown = VIEWS.includes(view) ? view : 'journeys';
  for (const name of VIEWS) document.getElementById(`view-${name}`).hidden = name !== shown;
  for (const link of document.querySelectorAll('nav a')) link.classList.toggle('here', link.getAttribute('href') === `#${shown}`);
  if (!hasKey()) return askForKey('No API key yet');
  if (shown === 'journeys') return loadJourneys();
  if (shown === 'timeline') return showTimeline(decodeURIComponent(rest.join('/')));
  if (!mapsLoaded) {
    mapsLoaded = true;
    return loadMaps();
  }
  return refreshMap();
}

// Links to what needs the key (caught mail) are fetched with it and shown from memory.
async function openWithKey(url) {
  const response = await api(url);
  if (response.ok) window.open(URL.createObjectURL(await response.blob()), '_blank');
}
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
  if (!hasKey()) return askForKey('No API key yet');
  let settings;
  try {
    settings = await consoleSettings();
  } catch {
    return undefined; // a refused key: api() has asked for another
  }
  const { temporalUiUrl, namespace } = settings;
  document.getElementById('key-needed').hidden = true;
  document.getElementById('temporal-ui').href = `${temporalUiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows`;
  return route();
}

wireJourneys();
wireLiveMap();
window.addEventListener('hashchange', route);
start();
// What is on screen stays current: the list, or the live map's numbers (the timeline is read when opened).
setInterval(() => {
  if (!hasKey()) return;
  if (!document.getElementById('view-journeys').hidden) loadJourneys();
  if (!document.getElementById('view-map').hidden && mapsLoaded) refreshMap();
}, 10000);
