import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/config';
import { launchChromium } from '../helpers/chromium';
import { purchaseBody } from '../helpers/fixtures';
import { eventually } from '../helpers/eventually';
import { LocalStack, startedForTheseTests } from '../helpers/stack';

/**
 * The console in a real headless browser (Debian's chromium through playwright-core) against the real engine (dev
 * server with its Temporal UI, worker, PostgreSQL, HTTP API), as an ops person uses it: the live map's numbers are
 * the API's, a stage and a milestone list their customers, a customer's timeline shows what they did and links to
 * their journey in the Temporal UI, and ended journeys are listed when asked. No page logs an error or fails a request.
 *
 * Default map, on real time (nothing moves but by events): ui-adopter logs in and uses reports (on to adoption),
 * ui-login logs in only, ui-quiet does nothing. Tech-touch (its experiment): ui-tt-1 and ui-tt-2, the first uses reports.
 */
const stack = new LocalStack({ temporalUi: true });
startedForTheseTests(stack);

const ARTIFACTS = path.join(PROJECT_ROOT, 'test-artifacts', 'console');
const DEFAULT_COHORT = ['ui-adopter', 'ui-login', 'ui-quiet'];
let browser: Browser;
let page: Page;
/** Every console error, uncaught exception, failed request and error answer of the console's pages. */
const problems: string[] = [];

async function event(customerId: string, type: string, fields: object = {}): Promise<void> {
  expect((await stack.post(`/v1/customers/${customerId}/events`, { eventId: `${customerId}-${type}`, type, ...fields })).status).toBe(202);
}

const text = (selector: string) => page.locator(selector).first().innerText();
/** SVG text has no innerText: its characters as drawn. */
const drawn = async (selector: string) => (await page.locator(selector).first().textContent())?.trim();
const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const id of DEFAULT_COHORT) expect((await stack.post('/v1/purchases', purchaseBody(id))).status).toBe(201);
  for (const id of ['ui-tt-1', 'ui-tt-2']) expect((await stack.post('/v1/purchases', purchaseBody(id, { segment: 'startup' }))).status).toBe(201);
  for (const id of ['ui-adopter', 'ui-login']) await event(id, 'user.login');
  for (const id of ['ui-adopter', 'ui-tt-1']) await event(id, 'feature.used', { feature: 'reports' });
  // The journeys have recorded what they did: the numbers stand still from here on.
  await eventually(async () => {
    const stages = (await stack.get('/v1/analytics/funnel?mapId=default&mapVersion=1')).body.stages;
    const now = Object.fromEntries(stages.map((s: { stage: string; now: { journeys: number } }) => [s.stage, s.now.journeys]));
    expect(now).toMatchObject({ onboarding: 2, adoption: 1 });
    const reports = (await stack.get('/v1/analytics/journeys?mapId=tech-touch&milestone=key-feature-used')).body.journeys;
    expect(reports.map((j: { milestone: { status: string } }) => j.milestone.status)).toEqual(['onTime', 'pending']);
  }, 30_000);

  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (request) => problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`);
  });
  // As a person does: open the console, give it the key.
  await page.goto(`${stack.apiUrl}/`);
  await page.fill('#api-key', stack.headers.authorization!.replace('Bearer ', ''));
  await page.click('#key-form button');
  await page.locator('#journeys tr[data-id]').first().waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

test("the live map shows the API's numbers on its stages and milestones, and the versions customers run", async () => {
  await page.click('nav a[href="#map"]');
  await page.locator('#map-pick option').first().waitFor({ state: 'attached' });
  await page.selectOption('#map-pick', 'default@1');
  await page.locator('#map-diagram [data-milestone="key-feature-used"] .live').waitFor();

  const filter = 'mapId=default&mapVersion=1';
  const funnel = (await stack.get(`/v1/analytics/funnel?${filter}`)).body.stages as { stage: string; now: { journeys: number; atRisk: number } }[];
  for (const stage of ['onboarding', 'adoption', 'renewal']) {
    const now = funnel.find((s) => s.stage === stage)?.now ?? { journeys: 0, atRisk: 0 };
    expect(await drawn(`#map-diagram [data-stage="${stage}"] .live`)).toBe(`${now.journeys} now · ${now.atRisk} at risk`);
    expect(await text(`#map-numbers tr[data-stage="${stage}"] [data-figure="now"]`)).toBe(String(now.journeys));
  }
  const attainment = (await stack.get(`/v1/analytics/milestones?${filter}`)).body.milestones as { milestone: string; reached: { onTime: number; late: number }; missed: number }[];
  for (const milestone of ['first-login', 'key-feature-used']) {
    const figures = attainment.find((m) => m.milestone === milestone)!;
    const listed = (await stack.get(`/v1/analytics/journeys?${filter}&milestone=${milestone}`)).body.journeys as { milestone: { status: string } }[];
    const pending = listed.filter((j) => j.milestone.status === 'pending').length;
    expect(await drawn(`#map-diagram [data-milestone="${milestone}"] .live`)).toBe(
      `${figures.reached.onTime} on time · ${figures.reached.late} late · ${figures.missed} missed · ${pending} pending`,
    );
  }
  // What the cohort did, as a person would check it.
  expect(await drawn('#map-diagram [data-stage="onboarding"] .live')).toBe('2 now · 0 at risk');
  expect(await drawn('#map-diagram [data-milestone="first-login"] .live')).toBe('2 on time · 0 late · 0 missed · 1 pending');
  expect(await text('#map-versions')).toBe('Customers running default: v1: 3');
  expect(await text('#no-experiment')).toBe('No experiment in this map.');
  expect(await page.locator('#funnel-chart').evaluate((canvas) => Boolean((globalThis as any).Chart.getChart(canvas)))).toBe(true);
  await shot('live-map');
});

test('clicking a stage or a milestone on the map lists its customers, each linked to their timeline', async () => {
  await page.click('#map-diagram [data-stage="onboarding"] rect');
  await page.locator('#map-customers-title', { hasText: 'in stage onboarding' }).waitFor();
  const rows = page.locator('#map-customers tr[data-customer]');
  expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-customer')))).toEqual(['ui-login', 'ui-quiet']);
  expect(await text('#map-customers tr[data-customer="ui-quiet"]')).toContain('ui-quiet Ltd');

  await page.click('#map-diagram [data-milestone="first-login"] rect');
  await page.locator('#map-customers-title', { hasText: 'on milestone first-login' }).waitFor();
  expect(await text('#map-customers tr[data-customer="ui-adopter"]')).toContain('reached on time');
  expect(await text('#map-customers tr[data-customer="ui-quiet"]')).toContain('pending');
  expect(await page.getAttribute('#map-customers tr[data-customer="ui-adopter"] a', 'href')).toBe('#timeline/ui-adopter');
});

test("an experiment's arms are compared, as the API compares them", async () => {
  await page.selectOption('#map-pick', 'tech-touch@1');
  await page.locator('#experiment-form').waitFor();
  // The map names the milestone its experiment is meant to move: the arms are compared on it first.
  expect(await page.inputValue('#experiment-form select[name="milestone"]')).toBe('key-feature-used');
  const answer = (await stack.get('/v1/analytics/experiment?mapId=tech-touch&mapVersion=1&experiment=getting-started-webinar&milestone=key-feature-used')).body;
  for (const arm of answer.arms as { arm: string; journeys: number; reached: number }[]) {
    await page.locator(`#experiment-figures tr[data-arm="${arm.arm}"]`).waitFor();
    const cells = await page.locator(`#experiment-figures tr[data-arm="${arm.arm}"] td`).allInnerTexts();
    expect(cells.slice(0, 3)).toEqual([arm.arm, String(arm.journeys), String(arm.reached)]);
  }
  await shot('experiment');
});

test("a customer's timeline shows their events, who owns the moment, and links to their journey in the Temporal UI", async () => {
  await page.selectOption('#map-pick', 'default@1');
  await page.locator('#map-diagram [data-stage="adoption"] .live').waitFor();
  await page.click('#map-diagram [data-stage="adoption"] rect');
  await page.click('#map-customers tr[data-customer="ui-adopter"] a');
  await page.locator('#timeline-temporal-ui').waitFor();
  const timeline = (await stack.get('/v1/customers/ui-adopter/timeline')).body;
  const events = await page.locator('#timeline tr[data-kind="event.received"]').allInnerTexts();
  expect(events.join('\n')).toContain('Event user.login');
  expect(events.join('\n')).toContain('Event feature.used (feature=reports)');
  expect(await page.locator('#timeline tbody tr').count()).toBe(timeline.entries.length);
  expect(await text('#timeline-owner')).toContain(timeline.owner.email);
  const href = await page.getAttribute('#timeline-temporal-ui', 'href');
  expect(href).toBe(`${stack.temporalUiUrl}/namespaces/default/workflows/journey-ui-adopter`);
  await shot('timeline');

  // The Temporal UI the link opens shows that very journey.
  const ui = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await ui.goto(href!);
  await ui.getByText('journey-ui-adopter').first().waitFor({ timeout: 30_000 });
  await ui.getByText('journeyWorkflow').first().waitFor({ timeout: 30_000 });
  await ui.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui.png') });
  await ui.close();
});

test('the journeys list names each company, and shows ended journeys only when asked', async () => {
  expect((await stack.post('/v1/customers/ui-tt-2/cancel', { reason: 'signed by mistake' })).status).toBe(200);
  await eventually(async () => {
    // A cancellation ends the workflow: Temporal calls it completed.
    expect((await stack.get('/v1/journeys?status=all')).body.journeys.find((j: { customerId: string }) => j.customerId === 'ui-tt-2')?.status).toBe('COMPLETED');
  });
  await page.click('nav a[href="#journeys"]');
  const listed = () => page.locator('#journeys tr[data-id]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
  await eventually(async () => expect(await listed()).not.toContain('ui-tt-2'));
  await page.check('#filter input[name="ended"]');
  await eventually(async () => expect(await listed()).toContain('ui-tt-2'));
  expect(await text('#journeys tr[data-id="ui-tt-2"]')).toContain('ended');
  // Each row names the customer's company (from the engine database) above its id.
  expect(await text('#journeys tr[data-id="ui-tt-2"] td')).toBe('ui-tt-2 Ltd\nui-tt-2');
  await shot('journeys');
  expect(problems).toEqual([]);
});
