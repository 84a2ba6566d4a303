import type { Server } from 'node:http';
import type express from 'express';
import { createApp, type AppDeps } from '../../src/api/app';
import { serve } from '../../src/api/serve';
import { createLogger } from '../../src/logger';
import { catalog, templates } from './fixtures';
import { testPayloadCodec } from './payloads';
import { freePort } from './eventually';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/**
 * Every route an Express app has, as `METHOD /path`, read from the app itself (routers mounted inside too):
 * the tests that must cover every route (fuzzing, keys, the API description) fail when one is added without them.
 */
export function appRoutes(app: express.Express): string[] {
  const walk = (layers: Layer[], prefix: string): string[] =>
    layers.flatMap((layer) => {
      if (layer.route) {
        const paths = [layer.route.path].flat();
        return Object.keys(layer.route.methods).flatMap((method) => paths.map((p) => `${method.toUpperCase()} ${prefix}${p}`));
      }
      const mounted = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      return layer.handle?.stack ? walk(layer.handle.stack, `${prefix}${mounted}`) : [];
    });
  return [...new Set(walk((app as unknown as { router: { stack: Layer[] } }).router.stack, ''))].sort();
}

/** Serves an app on a free loopback port: its server (to close after) and its URL. */
export async function serveOnLoopback(app: express.Express): Promise<{ server: Server; url: string }> {
  const server = await serve(app, await freePort(), '127.0.0.1');
  const address = server.address();
  return { server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

/**
 * The API with no Temporal behind it: services that must not be reached are empty stand-ins, what a test reads for
 * real (keys, analytics, the mailbox) it passes in.
 */
export function appWithoutTemporal(deps: Partial<AppDeps> & Pick<AppDeps, 'keys'>): express.Express {
  return createApp({
    journeys: {} as AppDeps['journeys'],
    maps: {} as AppDeps['maps'],
    templates,
    team: catalog.team,
    suppressions: {} as AppDeps['suppressions'],
    unsubscribeSecret: 'test-unsubscribe-secret-0123456789',
    tasks: {} as AppDeps['tasks'],
    http: { allowedHosts: [], requestsPerMinute: 1_000_000 },
    readiness: () => Promise.resolve({}),
    console: { temporalUiUrl: 'http://ui.test', namespace: 'default' },
    payloadCodec: testPayloadCodec,
    log: createLogger('api-test', 'silent'),
    ...deps,
  });
}
