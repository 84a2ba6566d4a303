import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { eventually } from './eventually';
import { TEST_PAYLOAD_KEYS } from './payloads';

/** An engine process the tests run: its entry point, and the log line that says it is ready. */
export interface EngineProgram {
  entry: string;
  ready: string;
}
export const WORKER_PROGRAM: EngineProgram = { entry: 'src/worker/main.ts', ready: 'worker polling task queue' };
export const API_PROGRAM: EngineProgram = { entry: 'src/api/main.ts', ready: 'API listening on' };

/**
 * `tsx src/worker/main.ts` (or another engine program, such as the API) as its own process group, so a
 * SIGKILL takes tsx and the node it runs at once.
 */
export class WorkerProcess {
  private readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(private readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString().split('\n').filter(Boolean));
      this.output.splice(0, Math.max(0, this.output.length - 200));
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static async start(env: NodeJS.ProcessEnv, program: EngineProgram = WORKER_PROGRAM): Promise<WorkerProcess> {
    const child = spawn(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(PROJECT_ROOT, program.entry)], {
      cwd: PROJECT_ROOT,
      // The tests' payload keys, unless `env` names others.
      env: { ...process.env, PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const worker = new WorkerProcess(child);
    const polling = eventually(() => {
      if (!worker.output.some((line) => line.includes(program.ready))) throw new Error('not ready yet');
    }, 60_000, 100);
    const outcome = await Promise.race([polling.then(() => 'polling' as const), worker.exited.then(() => 'exited' as const)]).catch(
      () => 'timeout' as const,
    );
    if (outcome !== 'polling') {
      worker.killNow();
      throw new Error(`${program.entry} did not start (${outcome}):\n${worker.output.join('\n')}`);
    }
    return worker;
  }

  /** Its last 200 lines of output, for a test to show when something went wrong. */
  get recentOutput(): string {
    return this.output.join('\n');
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL to the whole group: tsx and the worker it runs, with no chance to write anything more. */
  killNow(): void {
    if (!this.running) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  async stop(): Promise<void> {
    this.killNow();
    await this.exited;
  }
}
