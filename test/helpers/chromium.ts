import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/config';

/**
 * Debian's chromium, installed by the project's own script when the machine lacks it (scripts/ensure-chromium.sh:
 * CHROMIUM_PATH, else chromium on PATH, else apt-get), driven by playwright-core, which downloads no browser.
 */
export function ensureChromium(): string {
  return execFileSync('bash', [path.join(PROJECT_ROOT, 'scripts', 'ensure-chromium.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

export async function launchChromium(): Promise<Browser> {
  // As root (CI, this workplace) chromium refuses to start inside its own sandbox.
  return chromium.launch({ executablePath: ensureChromium(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
