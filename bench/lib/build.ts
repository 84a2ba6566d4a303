import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { WORKFLOW_BUNDLE_PATH } from '../../src/worker/create-worker';
import { bundleRawWorkflows } from '../raw/bundle';

/** The compiled raw worker and its prebuilt bundle, next to the engine's dist/ (git-ignored). */
const RAW_DIST = path.join(PROJECT_ROOT, 'dist', 'bench-raw');
export const RAW_WORKER_ENTRY = path.join(RAW_DIST, 'bench', 'raw', 'worker.js');
export const RAW_BUNDLE_PATH = path.join(RAW_DIST, 'raw-workflow-bundle.js');
export const ENGINE_WORKER_ENTRY = path.join(PROJECT_ROOT, 'dist', 'src', 'worker', 'main.js');
export const ENGINE_CLI_ENTRY = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js');
export const ENGINE_API_ENTRY = path.join(PROJECT_ROOT, 'dist', 'src', 'api', 'main.js');
export { WORKFLOW_BUNDLE_PATH as ENGINE_BUNDLE_PATH };

/** The newest modification time of the files under these paths (folders walked, dotfiles skipped). */
function newestMtime(paths: string[]): number {
  let newest = 0;
  const visit = (file: string) => {
    if (!existsSync(file)) return;
    const stat = statSync(file);
    if (stat.isDirectory()) {
      for (const name of readdirSync(file)) if (!name.startsWith('.')) visit(path.join(file, name));
    } else newest = Math.max(newest, stat.mtimeMs);
  };
  paths.map((p) => path.join(PROJECT_ROOT, p)).forEach(visit);
  return newest;
}

/** Runs a build step quietly (webpack is talkative); its output is shown only when it fails. */
function run(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${path.basename(command)} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

const isOlderThan = (output: string, sources: string[]) => !existsSync(output) || statSync(output).mtimeMs < newestMtime(sources);

const ENGINE_SOURCES = ['contracts', 'src', 'workflows', 'activities', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
const RAW_SOURCES = ['bench/raw', 'bench/tsconfig.raw.json', 'src/temporal', 'src/delivery/templates.ts', 'src/config.ts'];

/**
 * Builds what the benchmark runs, when it is missing or older than its sources: the engine (`npm run build`: dist/
 * and its workflow bundle), the raw worker (tsc) and the raw bundle. The benchmark measures compiled processes
 * only, so neither side pays for tsx. `force` rebuilds the engine even when it looks fresh (the full mode does:
 * another engineer's change is what it measures).
 */
export async function ensureBuilt(options: { force: boolean; say: (line: string) => void }): Promise<void> {
  if (options.force || isOlderThan(WORKFLOW_BUNDLE_PATH, ENGINE_SOURCES)) {
    options.say('building the engine (npm run build)');
    run('npm', ['run', '--silent', 'build']);
  } else options.say('the engine build in dist/ is newer than its sources: reused');
  if (options.force || isOlderThan(RAW_WORKER_ENTRY, RAW_SOURCES)) {
    options.say('compiling the raw worker (tsc -p bench/tsconfig.raw.json)');
    run(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', path.join(PROJECT_ROOT, 'bench', 'tsconfig.raw.json')]);
  }
  if (options.force || isOlderThan(RAW_BUNDLE_PATH, ['bench/raw/workflow.ts', 'bench/raw/bundle.ts', 'src/temporal/failure-converter.ts'])) {
    options.say('bundling the raw workflow');
    mkdirSync(RAW_DIST, { recursive: true });
    writeFileSync(RAW_BUNDLE_PATH, await bundleRawWorkflows());
  }
}
