import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { eventually } from './eventually';

/** `tsx src/worker/main.ts` as its own process group, so a SIGKILL takes tsx and the node it runs at once. */
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

  static async start(env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
    const child = spawn(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(PROJECT_ROOT, 'src', 'worker', 'main.ts')], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const worker = new WorkerProcess(child);
    const polling = eventually(() => {
      if (!worker.output.some((line) => line.includes('worker polling task queue'))) throw new Error('not polling yet');
    }, 60_000, 100);
    const outcome = await Promise.race([polling.then(() => 'polling' as const), worker.exited.then(() => 'exited' as const)]).catch(
      () => 'timeout' as const,
    );
    if (outcome !== 'polling') {
      worker.killNow();
      throw new Error(`the worker did not start (${outcome}):\n${worker.output.join('\n')}`);
    }
    return worker;
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
