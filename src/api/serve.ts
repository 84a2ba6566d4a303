import { createServer, type Server } from 'node:http';
import type { Express } from 'express';

/** How long a client may take to send its headers, and its whole request: one that trickles is cut off. */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;

/** Listens for the app on host:port, with the timeouts above (checked every second, not Node's 30 s). */
export function serve(app: Express, port: number, host: string, options: { headersTimeoutMs?: number } = {}): Promise<Server> {
  const headersTimeout = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  const server = createServer(
    { headersTimeout, requestTimeout: Math.max(REQUEST_TIMEOUT_MS, headersTimeout), connectionsCheckingInterval: 1_000 },
    app,
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
