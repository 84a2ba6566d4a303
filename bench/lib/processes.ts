import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * The benchmark's child processes, each its own process group (detached), so stopping one takes whatever it
 * spawned too, and Ctrl-C or a crash of the benchmark leaves nothing running.
 */
const running = new Set<ChildProcess>();
/** The benchmark's own engine and raw processes (workers, the API): they get a graceful stop first. */
const programs = new Set<BenchProcess>();
const cleanups: (() => Promise<void> | void)[] = [];

/** Runs on exit and on SIGINT/SIGTERM: stops every child group, then the registered cleanups (temp dirs). */
export function onShutdown(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal); // not a group leader (a child spawned by project code, such as the dev server)
  }
}

/** A child spawned by project code (not in a group of its own) that must not outlive the benchmark either. */
export function adopt(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

let shuttingDown = false;
/**
 * The workers and the API drain on SIGTERM (and a worker run with BENCH_WORKER_NODE_ARGS='--cpu-prof ...' writes its
 * profile as it exits), while the dev server and PostgreSQL still answer them; then everything left is killed.
 */
export async function shutdown(): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  await Promise.all([...programs].map((program) => program.stop(10_000)));
  for (const child of running) killGroup(child, 'SIGKILL');
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (err) {
      console.error(`cleanup failed: ${(err as Error).message}`);
    }
  }
}

process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the benchmark's processes`);
    void shutdown().finally(() => process.exit(130));
  });
}

/** A child the benchmark started, with its recent output and the moment it printed its ready line. */
export class BenchProcess {
  private readonly output: string[] = [];
  readonly exited: Promise<number | null>;
  readonly spawnedAt = performance.now();

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    running.add(child);
    programs.add(this);
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString().split('\n').filter(Boolean));
      this.output.splice(0, Math.max(0, this.output.length - 100));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => {
      running.delete(child);
      programs.delete(this);
      resolve(code);
    }));
  }

  static spawn(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): BenchProcess {
    return new BenchProcess(name, spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get recentOutput(): string {
    return this.output.join('\n');
  }

  /** Resolves with ms from spawn to the first line containing `line`; rejects if the process exits first. */
  async ready(line: string, timeoutMs = 90_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.output.some((out) => out.includes(line))) return performance.now() - this.spawnedAt;
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}) before "${line}":\n${this.recentOutput}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not print "${line}" within ${timeoutMs} ms:\n${this.recentOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** SIGTERM to the group (the engine's processes drain on it), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    killGroup(this.child, 'SIGTERM');
    const killer = setTimeout(() => killGroup(this.child, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(killer);
  }
}

const CLOCK_TICKS = 100; // USER_HZ: 100 on every Linux the benchmark runs on (getconf CLK_TCK)

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis (field 3 is index 0).
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime of a process, all its threads, in seconds (/proc/<pid>/stat fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * CPU seconds of a process and its children, living (utime + stime) and exited (cutime + cstime): PostgreSQL's
 * postmaster and the backend it forks for each connection.
 */
export function treeCpuSeconds(rootPid: number): number {
  const own = (fields: string[]) => fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0) / CLOCK_TICKS;
  let total = own(statFields(rootPid));
  for (const name of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const fields = statFields(Number(name));
      if (Number(fields[1]) === rootPid) total += own(fields);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** Resident set size in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb === undefined ? Number.NaN : Number(kb) * 1024;
}

/** A process to meter: its pid, or a function that reads its CPU seconds (a process tree). */
export type Metered = number | (() => number);
const readCpu = (what: Metered) => (typeof what === 'number' ? cpuSeconds(what) : what());

/** CPU seconds of several processes between this call and the returned function's call. */
export function cpuMeter(processes: Record<string, Metered>): () => Record<string, number> {
  const before = Object.fromEntries(Object.entries(processes).map(([name, what]) => [name, readCpu(what)]));
  return () => Object.fromEntries(Object.entries(processes).map(([name, what]) => [name, readCpu(what) - before[name]!]));
}

/** Samples the RSS of processes every `everyMs` and keeps each one's peak, until stopped. */
export function peakRss(pids: Record<string, number>, everyMs = 500): () => Record<string, number> {
  const peaks: Record<string, number> = Object.fromEntries(Object.keys(pids).map((name) => [name, 0]));
  const sample = () => {
    for (const [name, pid] of Object.entries(pids)) peaks[name] = Math.max(peaks[name]!, rssBytes(pid) || 0);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return () => {
    clearInterval(timer);
    sample();
    return peaks;
  };
}
