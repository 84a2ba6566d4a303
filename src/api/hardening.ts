/**
 * What every request meets before any route: an allowed Host (a page elsewhere cannot reach the console
 * through DNS rebinding), security headers (helmet: a Content-Security-Policy with no inline script, no
 * sniffing, no framing), and rate limits per client address and per API key (express-rate-limit).
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';

export interface HardeningOptions {
  /** Host names the API answers to (the Host header without its port); any when empty. */
  allowedHosts: readonly string[];
  /** Requests a minute from one address, and with one API key. */
  requestsPerMinute: number;
}

/** The largest request body the API reads (JSON of a purchase, an event, a map): the body parsers' limit too. */
export const MAX_BODY_BYTES = 100 * 1024;

/**
 * `selfLimited`: a path prefix whose routes set their own body and rate limits (the codec endpoint, which the
 * Temporal UI calls once for each group of payloads in a history, with bodies up to a few MB); they still
 * meet the allowed hosts and the security headers.
 */
export function hardening({ allowedHosts, requestsPerMinute }: HardeningOptions, selfLimited?: string): RequestHandler[] {
  const hosts = new Set(allowedHosts.map((host) => host.toLowerCase()));
  const ownLimits = (req: Parameters<RequestHandler>[0]) =>
    selfLimited !== undefined && (req.path === selfLimited || req.path.startsWith(`${selfLimited}/`));
  const limited = (keyGenerator: (req: Parameters<RequestHandler>[0]) => string, who: string) =>
    rateLimit({
      windowMs: 60_000,
      limit: requestsPerMinute,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      keyGenerator,
      // Health checks come often and from one place (the load balancer); they are never refused. Self-limited routes count on their own.
      skip: (req) => req.path === '/healthz' || req.path === '/readyz' || ownLimits(req),
      handler: (_req, res) => {
        res.status(429).json({ error: `too many requests ${who}: at most ${requestsPerMinute} a minute; retry after the Retry-After seconds` });
      },
    });
  return [
    (req, res, next) => {
      if (hosts.size > 0 && !hosts.has(req.hostname.toLowerCase())) {
        res.status(400).json({ error: `host "${req.hostname}" is not one this engine answers to (API_ALLOWED_HOSTS)` });
        return;
      }
      next();
    },
    // Refused on the announced length, before any of it is read (the body parser would read, or wait for, all of it first).
    (req, res, next) => {
      if (!ownLimits(req) && Number(req.get('content-length') ?? 0) > MAX_BODY_BYTES) {
        res.set('Connection', 'close').status(413).json({ error: `the request body is larger than ${MAX_BODY_BYTES / 1024} KB` });
        return;
      }
      next();
    },
    // Not upgrade-insecure-requests: the local stack serves plain http on localhost.
    helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }),
    // An IPv6 client counts by its /56, not by each of the addresses it can take (ipKeyGenerator).
    limited((req) => `ip ${ipKeyGenerator(req.ip ?? 'unknown')}`, 'from this address'),
    // By the key presented, valid or not (hashed: never kept as it is); requests without one count per address only.
    limited((req) => {
      const authorization = req.get('authorization');
      return authorization ? `key ${createHash('sha256').update(authorization).digest('base64url')}` : `ip ${ipKeyGenerator(req.ip ?? 'unknown')}`;
    }, 'with this API key'),
  ];
}
