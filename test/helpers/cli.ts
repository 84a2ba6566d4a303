import { execFile } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The `journeys` CLI as a person runs it, with these variables added to the environment (TEMPORAL_ADDRESS,
 * PAYLOAD_KEYS...). Asynchronous, not spawnSync: a stack's worker in this process keeps running meanwhile.
 */
export function journeysCli(env: Record<string, string>): (...args: string[]) => Promise<CliRun> {
  return (...args) =>
    new Promise((resolve) =>
      execFile(
        path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
        [path.join(PROJECT_ROOT, 'src', 'cli', 'main.ts'), ...args],
        { cwd: PROJECT_ROOT, timeout: 60_000, env: { ...process.env, ...env } },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
}
