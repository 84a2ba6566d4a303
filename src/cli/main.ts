#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { DomainError, InvalidInputError } from '../errors';
import { MapRegistry } from '../maps/registry';
import { JourneyService } from '../journeys/service';
import { connectClient } from '../temporal/client';
import { EmailTemplates } from '../delivery/templates';
import { loadTrainers } from '../delivery/availability';
import { loadMapFile, loadTeamFile, MapCatalog, MapFileError, TEAM_FILE, TRAINERS_FILE, type Team } from '../maps/catalog';
import { renderMermaid } from '../maps/render/mermaid';
import { renderSvg } from '../maps/render/svg';
import { keysCommand, KEYS_USAGE } from './keys-command';
import { reportCommand, REPORT_USAGE } from './report-command';
import { bulkCommand, BULK_USAGE } from './bulk-command';
import { describeMap, UsageError } from './usage';
import { listCommand, LIST_USAGE, mapsListCommand } from './list-command';

const USAGE = `journeys: the map author's tool

  journeys maps validate FILE...                 check maps; every error names the file and the path in it
  journeys maps render FILE [--format mermaid|svg] [--out FILE]
                                                 the map as a diagram: stages, touchpoints and their days,
                                                 milestones with their escalations, owners
  journeys maps publish FILE...                  publish maps to the engine (TEMPORAL_ADDRESS): new journeys
                                                 start on the latest published version
  journeys maps rehearse FILE [--customer FILE] [--events FILE] [--days N]
                                                 run the map for a scripted customer on a skipped clock and
                                                 print everything that would happen (nothing is sent)

  journeys migrate --map ID --to VERSION [--query Q] [--dry-run] [--stage-map OLD=NEW,...] [--milestone-map OLD=NEW,...]
                                                 move running journeys to a published version; a dry run
                                                 lists what would change for each journey

${LIST_USAGE}

${KEYS_USAGE}

${REPORT_USAGE}

${BULK_USAGE}

Templates come from TEMPLATES_DIR (default templates/emails), default owners from MAPS_DIR/team.yaml;\nAPI keys live in the engine database (DATABASE_URL). Commands that reach Temporal (publish, migrate) need\nPAYLOAD_KEYS, the keys the engine encrypts journeys with.`;


function validate(files: string[], templates: EmailTemplates, team: Team): number {
  if (files.length === 0) throw new UsageError('maps validate: name at least one map file');
  let failures = 0;
  for (const file of files) {
    try {
      if (path.basename(file) === TEAM_FILE) {
        console.log(`${file}: ok, team with roles ${Object.keys(loadTeamFile(file)).join(', ')}`);
        continue;
      }
      if (path.basename(file) === TRAINERS_FILE) {
        console.log(`${file}: ok, trainers ${loadTrainers(file).map((t) => t.name).join(', ')}`);
        continue;
      }
      console.log(`${file}: ok, ${describeMap(loadMapFile(file, templates, team))}`);
    } catch (err) {
      if (!(err instanceof MapFileError)) throw err;
      console.error(err.message);
      failures += 1;
    }
  }
  return failures > 0 ? 1 : 0;
}

async function publish(files: string[], templates: EmailTemplates, team: Team): Promise<number> {
  if (files.length === 0) throw new UsageError('maps publish: name at least one map file');
  const maps = files.map((file) => loadMapFile(file, templates, team)); // all valid, or nothing is published
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    const registry = new MapRegistry(client, config.TEMPORAL_TASK_QUEUE);
    let failures = 0;
    for (const [i, map] of maps.entries()) {
      try {
        const published = await registry.publish(map);
        console.log(`${files[i]}: published map "${published.id}" version ${published.version}`);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        console.error(`${files[i]}: ${describeDomainError(err)}`);
        failures += 1;
      }
    }
    return failures > 0 ? 1 : 0;
  } finally {
    await client.connection.close();
  }
}

/** A domain error as the CLI tells it: what went wrong, and each bad field with why, as the API names them. */
function describeDomainError(err: DomainError): string {
  return err instanceof InvalidInputError ? `invalid request ${JSON.stringify({ issues: err.issues })}` : err.message;
}

function mapping(option: string, value: string | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const pairs = value.split(',').map((pair): [string, string] => {
    const [from, to, ...rest] = pair.split('=');
    if (!from || !to || rest.length > 0) {
      throw new UsageError(`--${option}: must be OLD=NEW pairs separated by commas, e.g. onboarding=getting-started`);
    }
    return [from, to];
  });
  return Object.fromEntries(pairs);
}

async function migrate(options: { map?: string; to?: string; query?: string; 'dry-run'?: boolean; 'stage-map'?: string; 'milestone-map'?: string }) {
  const toVersion = Number(options.to);
  if (!options.map) throw new UsageError('migrate: --map ID is required');
  if (!Number.isInteger(toVersion) || toVersion < 1) throw new UsageError('migrate: --to VERSION must be a whole number');
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    const registry = new MapRegistry(client, config.TEMPORAL_TASK_QUEUE);
    const team = MapCatalog.load(config.MAPS_DIR).team;
    const service = new JourneyService(client, registry, team, config.TEMPORAL_TASK_QUEUE);
    const results = await service.migrate({
      mapId: options.map,
      toVersion,
      query: options.query,
      dryRun: options['dry-run'] ?? false,
      stageMapping: mapping('stage-map', options['stage-map']),
      milestoneMapping: mapping('milestone-map', options['milestone-map']),
    });
    for (const r of results) {
      const plan = r.plan
        ? `${r.plan.from} -> ${r.plan.to}, stage ${r.plan.stage.from}${r.plan.stage.to === r.plan.stage.from ? '' : ` -> ${r.plan.stage.to}`}` +
          `${r.plan.addedTouchpoints.length ? `, adds ${r.plan.addedTouchpoints.join(' ')}` : ''}` +
          `${r.plan.droppedTouchpoints.length ? `, drops ${r.plan.droppedTouchpoints.join(' ')}` : ''}`
        : r.reason;
      console.log(`${r.customerId.padEnd(24)} ${r.outcome.padEnd(14)} ${plan}`);
    }
    const refused = results.filter((r) => r.outcome === 'refused').length;
    console.log(`${results.length} journeys: ${results.length - refused} ${options['dry-run'] ? 'would migrate' : 'migrated'}, ${refused} refused`);
    return refused > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof DomainError) throw new UsageError(describeDomainError(err));
    throw err;
  } finally {
    await client.connection.close();
  }
}

/** What maps are checked against: the engine's email templates, and the team that staffs their roles. */
function engine(): [EmailTemplates, Team] {
  const config = loadConfig();
  return [EmailTemplates.load(config.TEMPLATES_DIR), loadTeamFile(path.join(config.MAPS_DIR, TEAM_FILE))];
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      customer: { type: 'string' },
      events: { type: 'string' },
      days: { type: 'string' },
      format: { type: 'string' },
      map: { type: 'string' },
      to: { type: 'string' },
      query: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'stage-map': { type: 'string' },
      'milestone-map': { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      segment: { type: 'string' },
      plan: { type: 'string' },
      cohort: { type: 'string' },
      from: { type: 'string' },
      'map-version': { type: 'string' },
      milestone: { type: 'string' },
      touchpoint: { type: 'string' },
      experiment: { type: 'string' },
      control: { type: 'string' },
      reason: { type: 'string' },
      by: { type: 'string' },
      role: { type: 'string' },
      owner: { type: 'string' },
      all: { type: 'boolean' },
      status: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [group, command, ...rest] = positionals;
  if (values.help || !group) {
    console.log(USAGE);
    return 0;
  }
  if (group === 'maps' && command === 'validate') {
    return validate(rest, ...engine());
  }
  if (group === 'maps' && command === 'render') {
    if (rest.length !== 1) throw new UsageError('maps render: name one map file');
    const format = values.format ?? 'mermaid';
    if (format !== 'mermaid' && format !== 'svg') throw new UsageError('--format: must be mermaid or svg');
    const map = loadMapFile(rest[0]!, EmailTemplates.load(loadConfig().TEMPLATES_DIR));
    const diagram = format === 'svg' ? renderSvg(map) : renderMermaid(map);
    if (values.out) writeFileSync(values.out, diagram);
    else process.stdout.write(diagram);
    return 0;
  }
  if (group === 'migrate') return migrate(values);
  if (group === 'list') return listCommand(loadConfig(), values);
  if (group === 'maps' && command === 'list') return mapsListCommand(loadConfig(), values);
  if (group === 'bulk') return bulkCommand(loadConfig(), command, rest, values);
  if (group === 'keys') return keysCommand(loadConfig(), command, rest, values);
  if (group === 'report') {
    if (command !== undefined) throw new UsageError(`report: takes flags only, not "${positionals.slice(1).join(' ')}"\n\n${REPORT_USAGE}`);
    return reportCommand(loadConfig(), values);
  }
  if (group === 'maps' && command === 'publish') {
    return publish(rest, ...engine());
  }
  if (group === 'maps' && command === 'rehearse') {
    if (rest.length !== 1) throw new UsageError('maps rehearse: name one map file');
    // Rehearsals run on the time-skipping test server, a development dependency: loaded only here, so every
    // other command runs where only production dependencies are installed (the image).
    const { rehearseCommand } = await import('./rehearse-command').catch((err: unknown) => {
      const missing = (err as { code?: string }).code === 'MODULE_NOT_FOUND';
      if (!missing) throw err;
      throw new UsageError(`maps rehearse needs the development dependencies (@temporalio/testing): run it from a full install (npm ci), not the production image\n(${(err as Error).message.split('\n')[0]})`);
    });
    await rehearseCommand(path.resolve(rest[0]!), values);
    return 0;
  }
  throw new UsageError(`unknown command "${positionals.join(' ')}"\n\n${USAGE}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const code = (err as { code?: unknown }).code;
    const known =
      err instanceof UsageError || err instanceof MapFileError || err instanceof ConfigError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
    console.error(known ? (err as Error).message : err);
    process.exit(1);
  },
);
