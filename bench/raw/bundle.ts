import { bundleWorkflowCode } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../../src/temporal/payload-codec';

/**
 * The raw workflow's prebuilt bundle, made with the engine's bundler options (bundleJourneyWorkflows): the
 * failure converter bundled in, the same source map setting; keep it in step with that function. The engine's stale-activation-guard interceptor is engine code and is left out.
 */
export async function bundleRawWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflow'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    // As bundleJourneyWorkflows (src/worker/create-worker.ts): an inline source map without the sources' text.
    webpackConfigHook: (config) => ({ ...config, devtool: 'inline-nosources-cheap-module-source-map' }),
    logger: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error, log: () => undefined },
  });
  return code;
}
