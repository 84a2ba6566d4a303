import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { LocalStack } from '../helpers/stack';
import { TEST_PAYLOAD_KEYS } from '../helpers/payloads';

/**
 * The CLI as operators run it in the production image: built, with production dependencies alone
 * (`npm ci --omit=dev`, as the Dockerfile's `npm prune --omit=dev` leaves them).
 */
const image = mkdtempSync(path.join(os.tmpdir(), 'journeys-image-'));
const stack = new LocalStack();

beforeAll(async () => {
  for (const file of ['package.json', 'package-lock.json']) cpSync(path.join(PROJECT_ROOT, file), path.join(image, file));
  for (const dir of ['maps', 'templates']) cpSync(path.join(PROJECT_ROOT, dir), path.join(image, dir), { recursive: true });
  // The packages were just installed from the same lock, so npm's cache holds every one of them.
  execFileSync('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: image, stdio: 'pipe' });
  execFileSync(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json', '--outDir', path.join(image, 'dist')], {
    cwd: PROJECT_ROOT,
    stdio: 'pipe',
  });
  await stack.startTemporal();
  await stack.startMail();
  await stack.startWorker();
}, 240_000);

afterAll(async () => {
  await stack.stopAll();
  rmSync(image, { recursive: true, force: true });
});

/** Runs the built CLI without blocking this process, whose worker serves the map registry meanwhile. */
const journeysWith = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [path.join(image, 'dist', 'src', 'cli', 'main.js'), ...args],
      { cwd: image, timeout: 60_000, env: { PATH: process.env.PATH, TEMPORAL_ADDRESS: stack.devServer!.address, ...env } },
      (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });

const journeys = (...args: string[]) => journeysWith({ PAYLOAD_KEYS: TEST_PAYLOAD_KEYS }, ...args);

test('the image holds production dependencies only', () => {
  expect(existsSync(path.join(image, 'node_modules', '@temporalio', 'client'))).toBe(true);
  expect(existsSync(path.join(image, 'node_modules', '@temporalio', 'testing'))).toBe(false);
});

test('with production dependencies alone the CLI validates, renders and publishes a map', async () => {
  const validated = await journeys('maps', 'validate', 'maps/default.yaml', 'maps/team.yaml');
  expect(validated.stderr).toBe('');
  expect(validated.stdout).toContain('maps/default.yaml: ok, map "default" version 1');

  const svg = path.join(image, 'default.svg');
  const rendered = await journeys('maps', 'render', 'maps/default.yaml', '--format', 'svg', '--out', svg);
  expect(rendered.status).toBe(0);
  expect(readFileSync(svg, 'utf8')).toMatch(/^<svg/);

  // Without the payload keys the CLI cannot read or write journeys' data in Temporal: it says so, without a stack.
  const keyless = await journeysWith({}, 'maps', 'publish', 'maps/default.yaml');
  expect(keyless.status).toBe(1);
  expect(keyless.stderr).toMatch(/PAYLOAD_KEYS: is required/);
  expect(keyless.stderr).not.toMatch(/\n\s+at /);

  const published = await journeys('maps', 'publish', 'maps/default.yaml');
  expect(published.stderr).toBe('');
  expect(published.status).toBe(0);
  expect(published.stdout).toContain('maps/default.yaml: published map "default" version 1');
});

test('a rehearsal, which needs the development dependencies, says so instead of crashing', async () => {
  const rehearsal = await journeys('maps', 'rehearse', 'maps/default.yaml', '--days', '10');
  expect(rehearsal.status).toBe(1);
  expect(rehearsal.stderr).toContain('maps rehearse needs the development dependencies (@temporalio/testing)');
});
