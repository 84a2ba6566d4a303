import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleJourneyWorkflows, WORKFLOW_BUNDLE_PATH } from './create-worker';

/** Prebuilds the workflow bundle at build time (`npm run build`), so workers start fast. */
async function main() {
  const code = await bundleJourneyWorkflows();
  mkdirSync(path.dirname(WORKFLOW_BUNDLE_PATH), { recursive: true });
  writeFileSync(WORKFLOW_BUNDLE_PATH, code);
  console.log(`workflow bundle written to ${path.relative(process.cwd(), WORKFLOW_BUNDLE_PATH)} (${code.length} bytes)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
