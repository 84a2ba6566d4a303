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
      `${file}: stages[0].touchpoints[0].template: template "welcome" uses {{customer.plna}}, which no customer has (use customer.*, contact.name/email, owner.name/email)`,
      `${file}: stages[0].touchpoints[0].template: template "welcome" uses {{owner.phone}}, which no customer has (use customer.*, contact.name/email, owner.name/email)`,
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
