import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { markdownTable, type Figure } from './figures';

export const RESULTS_DIR = path.join(PROJECT_ROOT, 'bench', 'results');
const BENCHMARKS_FILE = path.join(PROJECT_ROOT, 'BENCHMARKS.md');
const CURRENT_START = '<!-- bench:current:start -->';
const CURRENT_END = '<!-- bench:current:end -->';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
  platform: string;
}

export function machine(): Machine {
  return { cores: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryBytes: os.totalmem(), loadAverageAtStart: os.loadavg(), platform: `${os.type()} ${os.release()} ${os.arch()}` };
}

function quietly(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** What ran: Node, the Temporal CLI (dev server) and SDK, and the commit (with whether the tree had changes). */
export function versions(temporalCli: string): Record<string, string> {
  const sdk = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'node_modules', '@temporalio', 'worker', 'package.json'), 'utf8')) as { version: string }).version;
  const changed = quietly('git', ['status', '--porcelain', '--untracked-files=no']);
  return {
    node: process.version,
    temporalCli: quietly(temporalCli, ['--version']).split('\n')[0] ?? 'unknown',
    temporalSdk: sdk,
    commit: quietly('git', ['rev-parse', '--short', 'HEAD']),
    workingTree: changed === 'unknown' ? 'unknown' : changed ? 'with uncommitted changes' : 'clean',
  };
}

/** The command as typed: `npm run bench -- --quick` when npm ran it. */
export function commandLine(): string {
  const args = process.argv.slice(2).join(' ');
  return process.env.npm_lifecycle_event === 'bench' ? `npm run bench${args ? ` -- ${args}` : ''}` : `tsx bench/main.ts ${args}`.trim();
}

export interface Report {
  mode: 'quick' | 'full' | 'scale' | 'history' | 'starts';
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  command: string;
  machine: Machine;
  versions: Record<string, string>;
  settings: Record<string, unknown>;
  figures: Figure[];
  raw: unknown;
}

/** bench/results/<ISO time>-<mode>.json, pretty-printed so a diff between runs reads well. */
export function writeJson(report: Report): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${report.startedAt.replace(/[:.]/g, '-')}-${report.mode}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

export function describeRun(report: Report): string {
  const { machine: m } = report;
  const gb = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  const load = (values?: number[]) => (values ? values.map((v) => v.toFixed(2)).join(' ') : 'n/a');
  return [
    `Command: \`${report.command}\` (${report.mode}, ${Math.round(report.durationSeconds)} s, ${report.startedAt})`,
    `Machine: ${m.cores} cores (${m.cpuModel}), ${gb(m.memoryBytes)} memory, ${m.platform}; load average ${load(m.loadAverageAtStart)} at start, ${load(m.loadAverageAtEnd)} at end`,
    `Versions: Node ${report.versions.node}, ${report.versions.temporalCli}, Temporal TypeScript SDK ${report.versions.temporalSdk}, commit ${report.versions.commit} (${report.versions.workingTree})`,
    `Settings: ${Object.entries(report.settings).map(([key, value]) => `${key} ${JSON.stringify(value)}`).join(', ')}`,
  ].join('\n');
}

/** Rewrites the "current" section of BENCHMARKS.md (between its markers) with this run; the rest stays as written. */
export function updateBenchmarksFile(report: Report, jsonFile: string): void {
  if (!existsSync(BENCHMARKS_FILE)) return;
  const text = readFileSync(BENCHMARKS_FILE, 'utf8');
  const start = text.indexOf(CURRENT_START);
  const end = text.indexOf(CURRENT_END);
  if (start < 0 || end < start) throw new Error(`BENCHMARKS.md lacks the ${CURRENT_START} … ${CURRENT_END} markers`);
  const section = [
    CURRENT_START,
    '',
    describeRun(report).split('\n').map((line) => `${line}  `).join('\n'),
    `Results: \`${path.relative(PROJECT_ROOT, jsonFile)}\``,
    '',
    markdownTable(report.figures),
    '',
    CURRENT_END,
  ].join('\n');
  writeFileSync(BENCHMARKS_FILE, text.slice(0, start) + section + text.slice(end + CURRENT_END.length));
}
