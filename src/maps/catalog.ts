import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { isTouchpointVariable, ownerSchema, roleName } from '../journeys/customer';
import type { EmailTemplates } from '../delivery/templates';
import { stageTouchpoints } from './map-references';
import { journeyMapSchema, type JourneyMap } from './schema';

/** A mistake in a map or team file, naming the file and the path inside it. */
export class MapFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(problems.map((problem) => `${file}: ${problem}`).join('\n'));
  }
}

export const TEAM_FILE = 'team.yaml';
/** The trainers' availability, read by the workers that book training sessions. */
export const TRAINERS_FILE = 'trainers.yaml';
const teamSchema = z.record(roleName, ownerSchema);
export type Team = z.infer<typeof teamSchema>;

/** `stages[0].touchpoints[2].owner` from zod's ['stages', 0, 'touchpoints', 2, 'owner']. */
export function formatPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : `${i === 0 ? '' : '.'}${String(segment)}`))
    .join('') || '(top level)';
}

function readData(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MapFileError(file, [`cannot be read: ${(err as Error).message}`]);
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parse(text);
  } catch (err) {
    throw new MapFileError(file, [`not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`]);
  }
}

/** Reads a YAML or JSON file and validates it; every problem names the file and the path inside it. */
export function parseFile<T>(file: string, schema: z.ZodType<T>): T {
  const result = schema.safeParse(readData(file));
  if (!result.success) {
    throw new MapFileError(file, result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`));
  }
  return result.data;
}

/** Reads the team file: the default person for each owner role. */
export function loadTeamFile(file: string): Team {
  return parseFile(file, teamSchema);
}

/** Every place a map names a role (owners, and those escalations notify), with its path in the map. */
export function roleUses(map: JourneyMap): { role: string; path: (string | number)[] }[] {
  const uses: { role: string; path: (string | number)[] }[] = [];
  const notified = (whom: string | undefined, path: (string | number)[]) => {
    if (whom && whom !== 'manager') uses.push({ role: whom, path: [...path, 'notify'] });
  };
  map.stages.forEach((stage, i) => {
    uses.push({ role: stage.owner, path: ['stages', i, 'owner'] });
    for (const { touchpoint, path } of stageTouchpoints(stage, i)) {
      uses.push({ role: touchpoint.owner, path: [...path, 'owner'] });
      if (touchpoint.action === 'task') touchpoint.onOverdue.forEach((level, l) => notified(level.notify, [...path, 'onOverdue', l]));
    }
    stage.milestones.forEach((milestone, m) => {
      const where = ['stages', i, 'milestones', m, 'onMissed'];
      notified(milestone.onMissed.notify, where);
      milestone.onMissed.then.forEach((level, l) => notified(level.notify, [...where, 'then', l]));
    });
  });
  return uses;
}

/** Every role a map's touchpoints and stages name. */
export function rolesOf(map: JourneyMap): Set<string> {
  return new Set(roleUses(map).map((use) => use.role));
}

/**
 * The map's own owner, when the team has no one by that name. Not one of roleUses: it names who reviews the map,
 * not a role every customer's journey must have someone in.
 */
function unknownOwner(map: JourneyMap, team: Team): { path: string; message: string }[] {
  if (map.owner === undefined || team[map.owner]) return [];
  return [{ path: 'owner', message: `no one on the team is "${map.owner}" (the team has: ${Object.keys(team).join(', ')})` }];
}

/** What is wrong with a map, each problem at its path inside the map. */
export class MapProblems extends Error {
  constructor(readonly problems: { path: string; message: string }[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  }
}

/**
 * Validates map data (from a file or a request). Templates, when given, must exist for every email
 * touchpoint; a team, when given, must have someone in every role the map names.
 */
export function parseMap(data: unknown, templates?: EmailTemplates, team?: Team): JourneyMap {
  const result = journeyMapSchema.safeParse(data);
  if (!result.success) {
    throw new MapProblems(result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })));
  }
  const map = result.data;
  const problems: { path: string; message: string }[] = team ? [...unknownOwner(map, team)] : [];
  for (const { role, path } of team ? roleUses(map) : []) {
    if (team![role]) continue;
    problems.push({ path: formatPath(path), message: `no one holds role "${role}" (the team has: ${Object.keys(team!).join(', ')})` });
  }
  if (!templates) {
    if (problems.length > 0) throw new MapProblems(problems);
    return map;
  }
  map.stages.forEach((stage, s) => {
    for (const { touchpoint: t, path } of stageTouchpoints(stage, s)) {
      if (t.action !== 'email') continue;
      const where = [...path, 'template'];
      if (!templates.has(t.template)) {
        problems.push({
          path: formatPath(where),
          message: `unknown email template "${t.template}" (have: ${templates.names().join(', ')})`,
        });
        continue;
      }
      for (const variable of templates.variablesOf(t.template).filter((v) => !isTouchpointVariable(v))) {
        problems.push({
          path: formatPath(where),
          message: `template "${t.template}" uses {{${variable}}}, which no customer has (use customer.* but customer.owners, contact.name/email, owner.name/email: the owner of the moment, journey.stage/stageName/term/mapName, unsubscribeUrl)`,
        });
      }
    }
  });
  if (problems.length > 0) throw new MapProblems(problems);
  return map;
}

/** Reads and validates one map file: every problem names the file and the path inside it. */
export function loadMapFile(file: string, templates?: EmailTemplates, team?: Team): JourneyMap {
  try {
    return parseMap(readData(file), templates, team);
  } catch (err) {
    if (err instanceof MapProblems) throw new MapFileError(file, err.problems.map((p) => `${p.path}: ${p.message}`));
    throw err;
  }
}

/**
 * The journey maps in a folder (YAML or JSON files) and the team that owns their roles. Loaded once
 * at process start and checked whole: a broken map stops the process with the file and path.
 */
export class MapCatalog {
  private constructor(
    private readonly maps: Map<string, JourneyMap>,
    readonly team: Team,
  ) {}

  static load(dir: string, templates?: EmailTemplates): MapCatalog {
    const teamFile = path.join(dir, TEAM_FILE);
    const team = loadTeamFile(teamFile);
    const maps = new Map<string, JourneyMap>();
    const files = readdirSync(dir)
      .filter((name) => /\.(ya?ml|json)$/.test(name) && name !== TEAM_FILE && name !== TRAINERS_FILE)
      .sort();
    for (const name of files) {
      const file = path.join(dir, name);
      const map = loadMapFile(file, templates);
      const existing = maps.get(map.id);
      if (existing && existing.version === map.version) {
        throw new MapFileError(file, [`id: map "${map.id}" version ${map.version} is defined twice`]);
      }
      if (!existing || existing.version < map.version) maps.set(map.id, map);
      const ownerProblems = unknownOwner(map, team);
      if (ownerProblems.length > 0) throw new MapFileError(file, ownerProblems.map((p) => `${p.path}: ${p.message}`));
      const unstaffed = [...rolesOf(map)].filter((role) => !team[role]);
      if (unstaffed.length > 0) {
        throw new MapFileError(teamFile, [`no default person for role(s) ${unstaffed.join(', ')} used by map "${map.id}"`]);
      }
    }
    if (!maps.has('default')) throw new MapFileError(dir, ['no map with id "default"']);
    return new MapCatalog(maps, team);
  }

  ids(): string[] {
    return [...this.maps.keys()];
  }

  /** The newest version of every map in the folder. */
  all(): JourneyMap[] {
    return [...this.maps.values()];
  }
}
