import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { EmailTemplates } from '../../src/delivery/templates';
import { loadMapFile, MapCatalog, MapFileError } from '../../src/maps/catalog';
import { catalog, MAPS_DIR, templates } from '../helpers/fixtures';

const dir = mkdtempSync(path.join(os.tmpdir(), 'maps-'));
const defaultMapData = () => parse(readFileSync(path.join(MAPS_DIR, 'default.yaml'), 'utf8'));

/** Writes a variant of the default map and returns the problems its loading reports. */
function problemsOf(change: (map: any) => void): string[] {
  const map = defaultMapData();
  change(map);
  const file = path.join(dir, 'variant.yaml');
  writeFileSync(file, stringify(map));
  try {
    loadMapFile(file, templates);
  } catch (err) {
    if (err instanceof MapFileError) return err.message.split('\n');
    throw err;
  }
  return [];
}

test('the shipped maps load', () => {
  expect(problemsOf(() => undefined)).toEqual([]);
  expect(catalog.ids()).toContain('default');
});

test('a touchpoint without an owner is rejected with its file and path', () => {
  const problems = problemsOf((map) => delete map.stages[0].touchpoints[1].owner);
  expect(problems).toEqual([expect.stringMatching(/variant\.yaml: stages\[0\]\.touchpoints\[1\]\.owner: /)]);
});

test('an exit naming a milestone the stage lacks is rejected', () => {
  const problems = problemsOf((map) => (map.stages[0].exit.milestones = ['first-login', 'first-lgoin']));
  expect(problems).toEqual([
    `${dir}/variant.yaml: stages[0].exit.milestones[1]: unknown milestone "first-lgoin" (stage "onboarding" defines: first-login, key-feature-used)`,
  ]);
});

test('a milestone without a due time and a misspelt field are both reported', () => {
  const problems = problemsOf((map) => {
    delete map.stages[0].milestones[0].due;
    map.stages[0].touchpoints[0].tempalte = 'welcome';
  });
  expect(problems).toEqual([
    `${dir}/variant.yaml: stages[0].touchpoints[0]: unknown field(s): tempalte`,
    `${dir}/variant.yaml: stages[0].milestones[0].due: is required`,
  ]);
});

test('a duplicate touchpoint id and an unknown next-term stage are both reported', () => {
  const problems = problemsOf((map) => {
    map.stages[1].touchpoints[1].id = 'check-in-call';
    map.renewal.nextTermStage = 'adopton';
  });
  expect(problems).toEqual([
    `${dir}/variant.yaml: stages[1].touchpoints[1].id: duplicate touchpoint id "check-in-call"`,
    `${dir}/variant.yaml: renewal.nextTermStage: unknown stage "adopton" (stages: onboarding, adoption, renewal)`,
  ]);
});

test('an email touchpoint naming a template that does not exist is rejected', () => {
  const problems = problemsOf((map) => (map.stages[0].touchpoints[0].template = 'welcom'));
  expect(problems).toEqual([expect.stringContaining('stages[0].touchpoints[0].template: unknown email template "welcom"')]);
});

test('a file that is not YAML says so', () => {
  const file = path.join(dir, 'broken.yaml');
  writeFileSync(file, 'id: [unclosed');
  expect(() => loadMapFile(file)).toThrow(/broken\.yaml: not valid YAML/);
});

test('a role no one holds stops the catalog: someone always owns the moment', () => {
  const teamless = mkdtempSync(path.join(os.tmpdir(), 'maps-'));
  writeFileSync(path.join(teamless, 'default.yaml'), readFileSync(path.join(MAPS_DIR, 'default.yaml')));
  writeFileSync(path.join(teamless, 'team.yaml'), 'successManager: { name: Sam, email: sam@x.example }\n');
  expect(() => MapCatalog.load(teamless, templates)).toThrow(/team\.yaml: no default person for role\(s\) accountManager used by map "default"/);
});

test('the last stage cannot have an exit, and milestone ids are unique across the map', () => {
  const problems = problemsOf((map) => {
    map.stages[2].exit = { afterDays: 5 };
    map.stages[2].milestones[0].id = 'first-login';
  });
  expect(problems).toEqual([
    `${dir}/variant.yaml: stages[2].exit: the last stage lasts until the renewal outcome (renewal.renewed or renewal.churned): remove its exit`,
    `${dir}/variant.yaml: stages[2].milestones[0].id: duplicate milestone id "first-login"`,
  ]);
});

test('an email template using a variable no customer has is rejected at validation, not at the send', () => {
  const templatesDir = mkdtempSync(path.join(os.tmpdir(), 'templates-'));
  writeFileSync(path.join(templatesDir, 'welcome.yaml'), 'subject: "Hi {{customer.plna}}"\ntext: "{{#if owner.name}}{{owner.phone}}{{/if}} {{customer.attributes.seats}}"\n');
  for (const name of ['login-help', 'renewal-reminder']) writeFileSync(path.join(templatesDir, `${name}.yaml`), 'subject: s\ntext: "{{contact.name}}"\n');
  const file = path.join(dir, 'variables.yaml');
  writeFileSync(file, readFileSync(path.join(MAPS_DIR, 'default.yaml')));
  expect(() => loadMapFile(file, EmailTemplates.load(templatesDir))).toThrow(
    [
      `${file}: stages[0].touchpoints[0].template: template "welcome" uses {{customer.plna}}, which no customer has (use customer.* but customer.owners, contact.name/email, owner.name/email: the owner of the moment, journey.stage/stageName/term/mapName, unsubscribeUrl)`,
      `${file}: stages[0].touchpoints[0].template: template "welcome" uses {{owner.phone}}, which no customer has (use customer.* but customer.owners, contact.name/email, owner.name/email: the owner of the moment, journey.stage/stageName/term/mapName, unsubscribeUrl)`,
    ].join('\n'),
  );
});

test('a stage without an exit before the last one leaves the stages after it unreachable', () => {
  const problems = problemsOf((map) => delete map.stages[1].exit);
  expect(problems).toEqual([`${dir}/variant.yaml: stages[1].exit: stage "adoption" has no exit, so the stages after it (renewal) are never reached`]);
});

test('a goal naming a milestone the map lacks is rejected', () => {
  const problems = problemsOf((map) => (map.goals[0].milestones = ['first-login', 'reports-used']));
  expect(problems).toEqual([
    `${dir}/variant.yaml: goals[0].milestones[1]: unknown milestone "reports-used" (milestones: first-login, key-feature-used, renewal-decided)`,
  ]);
});

test('timing from a milestone must name a milestone of the same stage, and a branch an existing step', () => {
  const problems = problemsOf((map) => {
    map.stages[0].touchpoints[1].at = { days: 2, from: 'milestone', milestone: 'renewal-decided' };
    map.stages[0].touchpoints[0].at = { days: 0, from: 'milestone' };
    map.stages[1].touchpoints[1].audience = { stepOutcome: { touchpoint: 'reports-trainnig', is: 'attended' } };
  });
  expect(problems).toEqual([
    `${dir}/variant.yaml: stages[0].touchpoints[0].at.milestone: name the milestone exactly when timing is from: milestone`,
    `${dir}/variant.yaml: stages[0].touchpoints[1].at.milestone: unknown milestone "renewal-decided" (timing counts from a milestone of stage "onboarding": first-login, key-feature-used)`,
    `${dir}/variant.yaml: stages[1].touchpoints[1].audience.stepOutcome.touchpoint: unknown touchpoint "reports-trainnig"`,
  ]);
});

test('entry conditions: not on the last stage or where a renewed term starts, and only on milestones reached before', () => {
  const problems = problemsOf((map) => {
    map.stages[1].entry = { milestones: ['renewal-decided'] };
    map.stages[2].entry = { audience: { plans: ['enterprise'] } };
  });
  expect(problems).toEqual([
    `${dir}/variant.yaml: stages[1].entry: every customer must be able to enter stage "adoption" (where a renewed term starts): remove its entry conditions`,
    `${dir}/variant.yaml: stages[1].entry.milestones[0]: unknown milestone "renewal-decided" (milestones of earlier stages: first-login, key-feature-used)`,
    `${dir}/variant.yaml: stages[2].entry: every customer must be able to enter stage "renewal" (the last stage): remove its entry conditions`,
  ]);
});

test('escalations, delivery rules and webhooks are checked field by field', () => {
  const problems = problemsOf((map) => {
    map.stages[0].milestones[0].onMissed.then = [{ afterDays: -1, notify: 'Head of CS' }];
    map.delivery = { window: { from: '17:00', to: '09:00' }, emailCap: { max: 0, perDays: 7 } };
    map.stages[1].touchpoints.push({ id: 'crm', action: 'webhook', owner: 'successManager', url: 'ftp://crm.example', event: 'sync', at: { days: 1 } });
  });
  expect(problems).toEqual(
    expect.arrayContaining([
      expect.stringContaining('stages[0].milestones[0].onMissed.then[0].afterDays: '),
      expect.stringContaining('stages[0].milestones[0].onMissed.then[0].notify: '),
      expect.stringContaining('delivery.window.to: must end after it starts'),
      expect.stringContaining('delivery.emailCap.max: '),
      expect.stringContaining('stages[1].touchpoints[2].url: must be an http(s) URL'),
      expect.stringContaining('stages[1].touchpoints[2].event: must be a dotted event name'),
    ]),
  );
});

test('a role only an escalation notifies must be staffed too', () => {
  const map = defaultMapData();
  map.stages[0].milestones[0].onMissed.notify = 'customerSuccessDirector';
  const teamDir = mkdtempSync(path.join(os.tmpdir(), 'maps-'));
  writeFileSync(path.join(teamDir, 'default.yaml'), stringify(map));
  writeFileSync(path.join(teamDir, 'team.yaml'), readFileSync(path.join(MAPS_DIR, 'team.yaml')));
  expect(() => MapCatalog.load(teamDir, templates)).toThrow(/no default person for role\(s\) customerSuccessDirector used by map "default"/);
});

test('validation against the team names every place a map uses a role nobody holds', () => {
  const map = defaultMapData();
  map.stages[0].touchpoints[1].owner = 'ghostRole';
  map.stages[0].milestones[0].onMissed.notify = 'customerSuccessDirector';
  const file = path.join(dir, 'unstaffed.yaml');
  writeFileSync(file, stringify(map));
  expect(() => loadMapFile(file, templates, catalog.team)).toThrow(
    [
      `${file}: stages[0].touchpoints[1].owner: no one holds role "ghostRole" (the team has: successManager, accountManager, executiveSponsor, digitalSuccess)`,
      `${file}: stages[0].milestones[0].onMissed.notify: no one holds role "customerSuccessDirector" (the team has: successManager, accountManager, executiveSponsor, digitalSuccess)`,
    ].join('\n'),
  );
});

test('numbers a journey could not compute with are refused: days beyond ten years, versions beyond a million', () => {
  expect(problemsOf((map) => (map.stages[0].touchpoints[0].at.days = 1e9))).toEqual([
    expect.stringMatching(/variant\.yaml: stages\[0\]\.touchpoints\[0\]\.at\.days: .*3660/),
  ]);
  expect(problemsOf((map) => (map.stages[0].touchpoints[0].at.days = -1e9))).toEqual([
    expect.stringMatching(/variant\.yaml: stages\[0\]\.touchpoints\[0\]\.at\.days: .*-3660/),
  ]);
  expect(problemsOf((map) => (map.version = 9007199254740991))).toEqual([expect.stringMatching(/variant\.yaml: version: .*1000000/)]);
  expect(problemsOf((map) => (map.stages[1].touchpoints[0].every = 1e6))).toEqual([expect.stringMatching(/stages\[1\]\.touchpoints\[0\]\.every: /)]);
});
