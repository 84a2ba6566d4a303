import type { Server } from 'node:http';
import type express from 'express';
import { serve } from '../../src/api/serve';
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
