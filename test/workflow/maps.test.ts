import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { PROJECT_ROOT } from '../../src/config';

/**
 * Rehearsals of every shipped map, run as a map author runs them (`journeys maps rehearse`), with the
 * printed timelines asserted. Each rehearsal is its own process with its own time-skipping server: a
 * dozen year-long rehearsals in one process stalled the skipped clock in our runs. Two run at a time (the
 * tests are concurrent; jest.config's maxConcurrency), one on each core.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'rehearsals-'));
const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

interface Rehearsal {
  lines: { day: number; text: string }[];
  summary: string;
}

async function rehearse(mapFile: string, events: object[], days: number): Promise<Rehearsal> {
  const eventsFile = path.join(dir, `events-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(eventsFile, stringify(events));
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      tsx,
      [path.join(PROJECT_ROOT, 'src', 'cli', 'main.ts'), 'maps', 'rehearse', mapFile, '--events', eventsFile, '--days', String(days)],
      // The trace on stderr says how far a failed rehearsal got.
      { cwd: PROJECT_ROOT, timeout: 90_000, env: { ...process.env, JOURNEYS_TRACE: '1' } },
      (err, out, stderr) => (err ? reject(new Error(`${err.message}\n${out}\n${stderr}`)) : resolve(out)),
    ),
  );
  const lines = stdout
    .split('\n')
    .map((line) => /^day\s+(\d+)\s+\S+\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({ day: Number(match[1]), text: match[2]! }));
  return { lines, summary: stdout.split('\n').find((line) => line.startsWith('After ')) ?? '' };
}

const on = (r: Rehearsal, day: number, text: string) => r.lines.some((l) => l.day === day && l.text.includes(text));
const anywhere = (r: Rehearsal, text: string) => r.lines.filter((l) => l.text.includes(text));

interface Expectations {
  file: string;
  loginDue: number;
  loginEscalation: string;
  reportsDue: number;
  reportsEscalation: string;
  onboardingLimit: number;
  renewalOpens: number;
  adopts: object[];
}

const login = { day: 1, type: 'user.login' };
const reports = { day: 4, type: 'feature.used', feature: 'reports' };
const MAPS: Expectations[] = [
  {
    file: 'maps/default.yaml',
    loginDue: 7,
    loginEscalation: 'email "Login help email" done',
    reportsDue: 21,
    reportsEscalation: 'training "Reports training session" done',
    onboardingLimit: 90,
    renewalOpens: 275,
    adopts: [login, reports],
  },
  {
    file: 'maps/tech-touch.yaml',
    loginDue: 7,
    loginEscalation: 'email "Login help email" done',
    reportsDue: 21,
    reportsEscalation: 'email "Reports webinar invitation" done',
    onboardingLimit: 60,
    renewalOpens: 320,
    adopts: [login, reports],
  },
  {
    file: 'maps/enterprise.yaml',
    loginDue: 5,
    loginEscalation: 'task "Unblock the first login" done',
    reportsDue: 14,
    reportsEscalation: 'training "Reports training session" done',
    onboardingLimit: 120,
    renewalOpens: 245,
    adopts: [login, reports, { day: 20, type: 'integration.connected' }],
  },
];

describe.each(MAPS)('$file', (m) => {
  test.concurrent('a customer who adopts on time gets no escalation and renews into term 2', async () => {
    const r = await rehearse(m.file, [...m.adopts, { day: 350, type: 'renewal.renewed' }], 380);
    expect(on(r, 0, 'email "Welcome email" done')).toBe(true);
    expect(anywhere(r, 'missed')).toEqual([]);
    expect(anywhere(r, 'at risk')).toEqual([]);
    expect(on(r, m.renewalOpens, 'stage renewal begins')).toBe(true);
    expect(on(r, 350, 'stage adoption begins')).toBe(true);
    // Someone always owns the moment.
    expect(anywhere(r, ' done:').every((l) => l.text.includes('[owner: '))).toBe(true);
    expect(r.summary).toMatch(/^After 380 days: term 2, stage adoption, not at risk\./);
    expect(anywhere(r, 'goal "Activated within')).toEqual([expect.objectContaining({ text: expect.stringMatching(/ met$/) })]);
  });

  test.concurrent('a customer who never logs in is escalated on time and at risk when onboarding runs out', async () => {
    const r = await rehearse(m.file, [], m.onboardingLimit + 5);
    expect(on(r, m.loginDue, 'milestone "First login" missed')).toBe(true);
    expect(on(r, m.loginDue, m.loginEscalation)).toBe(true);
    expect(on(r, m.onboardingLimit, 'at risk: Onboarding ended on its time limit')).toBe(true);
    expect(r.summary).toMatch(/stage adoption, AT RISK/);
    expect(anywhere(r, 'goal "Activated within')).toEqual([expect.objectContaining({ text: expect.stringMatching(/ missed$/) })]);
  });

  test.concurrent('a customer who logs in but skips the key feature gets the reports escalation', async () => {
    const r = await rehearse(m.file, [login], 30);
    expect(on(r, m.reportsDue, m.reportsEscalation)).toBe(true);
    expect(anywhere(r, m.loginEscalation)).toEqual([]);
  });

  test.concurrent('a customer who churns ends the journey', async () => {
    const r = await rehearse(m.file, [...m.adopts, { day: 300, type: 'renewal.churned' }], 305);
    expect(on(r, 300, 'event renewal.churned')).toBe(true);
    expect(r.summary).toMatch(/outcome churned/);
  });
});

test.concurrent('the tech-touch map never books a call, and the enterprise map holds quarterly reviews with the executive sponsor', async () => {
  const techTouch = await rehearse('maps/tech-touch.yaml', MAPS[1]!.adopts, 365);
  expect(anywhere(techTouch, 'email "Monthly tips" done').length).toBeGreaterThan(5);
  expect(anywhere(techTouch, 'call "')).toEqual([]);
  const enterprise = await rehearse('maps/enterprise.yaml', MAPS[2]!.adopts, 240);
  expect(anywhere(enterprise, 'call "Quarterly business review" done')).toEqual([
    expect.objectContaining({ text: expect.stringContaining('[owner: Morgan Blake (executiveSponsor)]') }),
    expect.objectContaining({ text: expect.stringContaining('[owner: Morgan Blake (executiveSponsor)]') }),
  ]);
});

test.concurrent('a touchpoint with an audience skips customers outside it, and says why', async () => {
  const map = parse(readFileSync(path.join(PROJECT_ROOT, 'maps', 'default.yaml'), 'utf8'));
  map.stages[0].touchpoints[1].audience = { plans: ['enterprise'] };
  const file = path.join(dir, 'audience.yaml');
  writeFileSync(file, stringify(map));
  const r = await rehearse(file, [], 3);
  expect(on(r, 2, 'call "Kickoff call" skipped: not for this customer (plan pro)')).toBe(true);
});
