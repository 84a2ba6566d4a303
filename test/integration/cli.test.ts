import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';

/** The map author's CLI, run as a person runs it. */
const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const journeys = (...args: string[]) =>
  spawnSync(tsx, [path.join(PROJECT_ROOT, 'src', 'cli', 'main.ts'), ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-'));

test('maps validate accepts the shipped map and names the file, path and problem of a broken one', () => {
  const ok = journeys('maps', 'validate', 'maps/default.yaml');
  expect(ok.status).toBe(0);
  expect(ok.stdout).toContain('maps/default.yaml: ok, map "default" version 1: 3 stages, 7 touchpoints, 3 milestones');

  const broken = path.join(dir, 'broken.yaml');
  writeFileSync(
    broken,
    readFileSync(path.join(PROJECT_ROOT, 'maps', 'default.yaml'), 'utf8').replace('template: login-help', 'template: login-hlep'),
  );
  const bad = journeys('maps', 'validate', 'maps/default.yaml', broken);
  expect(bad.status).toBe(1);
  expect(bad.stderr).toContain(
    `${broken}: stages[0].milestones[0].onMissed.touchpoints[0].template: unknown email template "login-hlep"`,
  );
});

test('maps rehearse prints a year of a scripted customer, with days and owners, and sends nothing', () => {
  const events = path.join(dir, 'events.yaml');
  writeFileSync(events, '- { day: 3, type: user.login }\n- { day: 340, type: renewal.churned }\n');
  const run = journeys('maps', 'rehearse', 'maps/default.yaml', '--events', events, '--days', '365');
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const lines = run.stdout.split('\n');
  const line = (pattern: RegExp) => lines.find((l) => pattern.test(l));
  expect(line(/^day\s+0 .*email "Welcome email" done.*\[owner: Sam Rivera \(successManager\)\]/)).toBeDefined();
  expect(line(/^day\s+3 .*milestone "First login" reached/)).toBeDefined();
  expect(line(/Login help email/)).toBeUndefined();
  expect(line(/^day\s+21 .*training "Reports training session" done/)).toBeDefined();
  expect(line(/^day\s+90 .*at risk: Onboarding ended on its time limit without: key-feature-used/)).toBeDefined();
  expect(line(/^day\s+275 .*stage renewal begins/)).toBeDefined();
  expect(line(/^day\s+305 .*Renewal reminder \(60 days\).*\[owner: Alex Chen \(accountManager\)\]/)).toBeDefined();
  expect(run.stdout).toMatch(/After 365 days: term 1, stage renewal, AT RISK, outcome churned\. Rehearsed in [\d.]+ s; nothing was sent\./);
});

test('a customer file with a mistake is refused with the file and the field', () => {
  const customer = path.join(dir, 'customer.yaml');
  writeFileSync(customer, 'customerId: x\ncompany: X\n');
  const run = journeys('maps', 'rehearse', 'maps/default.yaml', '--customer', customer);
  expect(run.status).toBe(1);
  expect(run.stderr).toContain(`${customer}: contact: is required`);
});

test('maps render writes the map as Mermaid text or as an SVG file', () => {
  const mermaid = journeys('maps', 'render', 'maps/default.yaml');
  expect(mermaid.status).toBe(0);
  expect(mermaid.stdout).toMatch(/^flowchart LR/);
  expect(mermaid.stdout).toContain('Welcome email');
  const out = path.join(dir, 'default.svg');
  const svg = journeys('maps', 'render', 'maps/default.yaml', '--format', 'svg', '--out', out);
  expect(svg.status).toBe(0);
  expect(readFileSync(out, 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  expect(journeys('maps', 'render', 'maps/default.yaml', '--format', 'png').stderr).toContain('--format: must be mermaid or svg');
});
