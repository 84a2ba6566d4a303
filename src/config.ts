import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parsePayloadKeys, PayloadKeysError, type PayloadKeyRing } from './temporal/payload-codec';

/** The repository root (where package.json is), from src/ or from the compiled dist/src/. */
export const PROJECT_ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
})();

const port = z.coerce.number().int().min(0).max(65535);
const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7233');
const folder = z.string().min(1).transform((dir) => path.resolve(PROJECT_ROOT, dir));
const existingFolder = folder.refine((dir) => existsSync(dir), 'no such folder');
const secret = z.string().min(16, 'must be at least 16 characters (e.g. openssl rand -hex 32)');
/** Comma-separated secrets, each as `secret` (several while one replaces another); at least one. */
const secretList = z
  .string()
  .transform((list) => list.split(',').map((one) => one.trim()).filter(Boolean))
  .pipe(z.array(z.string().min(16, 'each secret must be at least 16 characters (e.g. openssl rand -hex 32)')).min(1, 'must name at least one secret'));

const envSchema = z.object({
  /** Unset: the local stack starts its own Temporal dev server at 127.0.0.1:TEMPORAL_PORT. */
  TEMPORAL_ADDRESS: hostPort.optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('customer-journeys'),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  /** Where people open the Temporal UI (the console links to it); http://localhost:TEMPORAL_UI_PORT unless set. */
  TEMPORAL_UI_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).transform((url) => url.replace(/\/+$/, '')).optional(),
  /** A Temporal CLI to use instead of the one on PATH or the project's own. */
  TEMPORAL_CLI: z.string().min(1).optional(),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  /** Host names the API answers to, comma-separated; unset: PUBLIC_URL's host, localhost, 127.0.0.1 and [::1]. */
  API_ALLOWED_HOSTS: z
    .string()
    .transform((list) => list.split(',').map((host) => host.trim()).filter(Boolean))
    .optional(),
  /**
   * The worker's Prometheus metrics (GET /metrics) on this port; unset, none (so several workers on one machine
   * never fight over a port); 0, any free port (the worker logs which). `npm start` sets 9464.
   */
  WORKER_METRICS_PORT: port.optional(),
  /** Where the worker's metrics listen: loopback unless set (0.0.0.0 in a container, for a scraper on its network). */
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Requests a minute the API takes from one address, and with one API key; past it, 429. */
  API_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /** Unset: the local stack starts its mail catcher and points the engine at it. */
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  MAIL_CATCHER_PORT: port.default(1025),
  MAIL_FROM: z
    .string()
    .regex(/^([^<>@]+<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/, 'must be an address, e.g. "Success <success@example.com>"')
    .default('Customer Success <success@journeys.local>'),
  /** Where people reach the API (unsubscribe links in emails point here); http://localhost:API_PORT unless set. */
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).transform((url) => url.replace(/\/+$/, '')).optional(),
  /** Signs unsubscribe links (API and workers must share it); the local stack makes one in DATA_DIR. */
  UNSUBSCRIBE_SECRET: secret.optional(),
  /** Secrets unsubscribe links were signed with before UNSUBSCRIBE_SECRET, comma-separated: the API still takes their links; workers never sign with them. */
  UNSUBSCRIBE_PREVIOUS_SECRETS: secretList.optional(),
  /** Verify signed inbound webhooks (POST /v1/inbound/*), comma-separated (rotation); unset, those routes answer 503. */
  INBOUND_WEBHOOK_SECRETS: secretList.optional(),
  /** Signs outbound webhooks (receivers verify with it); the local stack makes one in DATA_DIR. */
  WEBHOOK_SECRET: secret.optional(),
  /** Encrypt what the engine hands Temporal: `id:<base64 of 32 bytes>,...`, the first encrypts, all decrypt; the local stack makes one in DATA_DIR. */
  PAYLOAD_KEYS: z
    .string()
    .transform((list, ctx) => {
      try {
        return parsePayloadKeys(list);
      } catch (err) {
        if (!(err instanceof PayloadKeysError)) throw err;
        ctx.addIssue({ code: 'custom', message: err.message });
        return z.NEVER;
      }
    })
    .optional(),
  /** Hosts webhooks may reach although they resolve to private or loopback addresses, comma-separated. */
  WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .transform((list) => list.split(',').map((host) => host.trim()).filter(Boolean))
    .default([]),
  /** Lets purchases ask for a compressed demo clock; the local stack switches it on. */
  ALLOW_DEMO_CLOCK: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  /** Set by the local stack: the API lists the mail caught there. */
  MAIL_CATCHER_DIR: folder.optional(),
  DATA_DIR: folder.default(path.join(PROJECT_ROOT, '.data')),
  /** The engine database (PostgreSQL); unset, the local stack runs its own in DATA_DIR/postgres and sets it. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL, e.g. postgres://journeys:secret@db:5432/journeys' }).optional(),
  /** The local stack's own PostgreSQL listens here on 127.0.0.1 (when DATABASE_URL is unset). */
  POSTGRES_PORT: port.default(5432),
  /** A prebuilt workflow bundle for the worker to run; the compiled worker uses the one `npm run build` made. */
  WORKFLOW_BUNDLE: z.string().min(1).transform((file) => path.resolve(PROJECT_ROOT, file)).refine((file) => existsSync(file), 'no such file').optional(),
  MAPS_DIR: existingFolder.default(path.join(PROJECT_ROOT, 'maps')),
  TEMPLATES_DIR: existingFolder.default(path.join(PROJECT_ROOT, 'templates', 'emails')),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export type Config = z.infer<typeof envSchema> & {
  /** Where Temporal is: TEMPORAL_ADDRESS, or the local dev server. */
  temporalAddress: string;
  smtpUrl: string;
  publicUrl: string;
  temporalUiUrl: string;
  /** API_ALLOWED_HOSTS, or where people reach the API and the loopback names. */
  allowedHosts: string[];
};

/** Every variable the engine reads, for the README's table and its test. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);

/** The engine database the API and the workers cannot run without. */
export function requireDatabaseUrl(config: Config): string {
  if (!config.DATABASE_URL) {
    throw new ConfigError('Invalid configuration:\n  DATABASE_URL: is required (the engine database, PostgreSQL; `npm start` runs one of its own and sets it)');
  }
  return config.DATABASE_URL;
}

/** A secret the API and the workers cannot run without (the CLI can). */
export function requireSecret(config: Config, name: 'UNSUBSCRIBE_SECRET' | 'WEBHOOK_SECRET'): string {
  const value = config[name];
  if (!value) throw new ConfigError(`Invalid configuration:\n  ${name}: is required (at least 16 characters, the same for the API and every worker)`);
  return value;
}

/** The payload keys every process that talks to Temporal needs (API, workers, CLI): journeys are unreadable without them. */
export function requirePayloadKeys(config: Pick<Config, 'PAYLOAD_KEYS'>): PayloadKeyRing {
  if (!config.PAYLOAD_KEYS) {
    throw new ConfigError(
      'Invalid configuration:\n  PAYLOAD_KEYS: is required (the keys that encrypt what the engine keeps in Temporal, e.g. k1:<base64 of 32 bytes> ' +
        'from `openssl rand -base64 32`; the same for the API, every worker and the CLI; `npm start` makes one)',
    );
  }
  return config.PAYLOAD_KEYS;
}

/** A configuration mistake: the message names every variable that is wrong and why. */
export class ConfigError extends Error {}

/** Parses the environment once at start; a mistake stops the process before it does anything. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as in most shells' `VAR= command`.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = envSchema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = result.data;
  const publicUrl = config.PUBLIC_URL ?? `http://localhost:${config.API_PORT}`;
  return {
    ...config,
    allowedHosts: config.API_ALLOWED_HOSTS ?? [...new Set([new URL(publicUrl).hostname.replace(/^\[|\]$/g, ''), 'localhost', '127.0.0.1', '::1'])],
    temporalAddress: config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`,
    smtpUrl: config.SMTP_URL ?? `smtp://127.0.0.1:${config.MAIL_CATCHER_PORT}`,
    publicUrl,
    temporalUiUrl: config.TEMPORAL_UI_URL ?? `http://localhost:${config.TEMPORAL_UI_PORT}`,
  };
}

/** Runs a process's main function: configuration mistakes print their message and exit 1, without a stack. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  });
}
