/**
 * The codec endpoint: Temporal's remote codec server protocol, so the Temporal UI and `temporal ... --codec-endpoint`
 * show journeys' payloads decrypted. `POST <base>/decode` and `POST <base>/encode` take `{ "payloads": [...] }`,
 * Payloads as protobuf JSON (each `{ "metadata": { name: base64 }, "data": base64 }`), and answer the same form;
 * a body or a payload that cannot be read is a 400. The base is `/v1/codec` with `Authorization: Bearer <key>`,
 * or `/v1/codec/<key>` for a client that cannot send headers (the dev server's UI, from its --ui-codec-endpoint).
 * The key needs the scope payloads:decode. The browser calls it from the Temporal UI's page, so it answers CORS
 * for that origin only.
 */
import express, { type Request, type RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { ApiKeyVerifier } from '../auth/api-keys';
import { InvalidInputError, UnauthenticatedError } from '../errors';
import { bearerKey, keyWithScope } from './authorize';

export const CODEC_BASE_PATH = '/v1/codec';

/**
 * A request carries the payloads of one event attribute (the UI) or of a whole history (the CLI): up to 2 MB of
 * payload per event (Temporal's limit), a third more as base64.
 */
export const MAX_CODEC_BODY_BYTES = 4 * 1024 * 1024;

/** The UI sends a request for each group of payloads of a history it shows: hundreds for a long journey. */
const CODEC_RATE_FACTOR = 10;

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
export const payloadsBody = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).nullish(), data: base64.nullish() }).loose()).max(100_000),
});
/** A payload as protobuf JSON: metadata values and data in base64. */
export interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

/** A payload from its protobuf JSON form (base64 bytes). */
export function payloadFromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([name, value]) => [name, Buffer.from(value, 'base64')])),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

/** A payload in its protobuf JSON form: both fields always present, as the UI expects of a payload. */
export function payloadToJson({ metadata, data }: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([name, value]) => [name, Buffer.from(value).toString('base64')])),
    data: Buffer.from(data ?? new Uint8Array()).toString('base64'),
  };
}

export interface CodecEndpointOptions {
  codec: PayloadCodec;
  keys: ApiKeyVerifier;
  /** The Temporal UI's address: its origin is the only one a browser may call this from. */
  temporalUiUrl: string;
  /** The API's rate limit; the codec endpoint takes CODEC_RATE_FACTOR times as many requests. */
  requestsPerMinute: number;
}

/** The codec routes, to mount before the API's own JSON parser (they read larger bodies). */
export function codecEndpoint({ codec, keys, temporalUiUrl, requestsPerMinute }: CodecEndpointOptions): express.Router {
  const router = express.Router();
  const uiOrigin = new URL(temporalUiUrl).origin;
  const paths = [`${CODEC_BASE_PATH}/:operation`, `${CODEC_BASE_PATH}/:key/:operation`];

  // On every answer (errors too), so the UI's page can read why it was refused.
  const cors: RequestHandler = (req, res, next) => {
    res.vary('Origin');
    if (req.get('origin') === uiOrigin) {
      res.set({
        'Access-Control-Allow-Origin': uiOrigin,
        'Access-Control-Allow-Credentials': 'true',
        // helmet says same-origin; the UI's page is another origin by design.
        'Cross-Origin-Resource-Policy': 'cross-origin',
      });
    }
    next();
  };
  router.use(CODEC_BASE_PATH, cors);

  // The browser's preflight carries no credentials: answered without a key.
  router.options(paths, (req, res) => {
    if (req.get('origin') === uiOrigin) {
      res.set({
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'content-type, x-namespace, authorization',
        'Access-Control-Max-Age': '600',
      });
    }
    res.status(204).end();
  });

  const limit = requestsPerMinute * CODEC_RATE_FACTOR;
  router.use(
    CODEC_BASE_PATH,
    rateLimit({
      windowMs: 60_000,
      limit,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      keyGenerator: (req) => `codec ${ipKeyGenerator(req.ip ?? 'unknown')}`,
      handler: (_req, res) => {
        res.status(429).json({ error: `too many codec requests from this address: at most ${limit} a minute; retry after the Retry-After seconds` });
      },
    }),
  );

  router.post(
    paths,
    (req: Request<{ key?: string; operation: string }>, res, next) => {
      const { operation } = req.params;
      if (operation !== 'encode' && operation !== 'decode') {
        next('route'); // no such route: the API's 404
        return;
      }
      if (Number(req.get('content-length') ?? 0) > MAX_CODEC_BODY_BYTES) {
        res.set('Connection', 'close').status(413).json({ error: `the request body is larger than ${MAX_CODEC_BODY_BYTES / 1024 / 1024} MB` });
        return;
      }
      next();
    },
    async (req: Request<{ key?: string; operation: string }>, _res, next) => {
      const presented = req.params.key ?? bearerKey(req);
      if (!presented) {
        throw new UnauthenticatedError(
          `an API key with the scope payloads:decode is required: in the path (${CODEC_BASE_PATH}/<key>/decode) or as "Authorization: Bearer <key>"`,
        );
      }
      await keyWithScope(keys, presented, 'payloads:decode');
      next();
    },
    express.json({ limit: MAX_CODEC_BODY_BYTES }),
    async (req: Request<{ key?: string; operation: string }>, res) => {
      const { operation } = req.params;
      const payloads = payloadsBody.parse(req.body).payloads.map(payloadFromJson);
      // One at a time, so a payload that cannot be read is named by its place.
      const converted = await Promise.all(
        payloads.map(async (payload, i) => {
          try {
            const [one] = await (operation === 'encode' ? codec.encode([payload]) : codec.decode([payload]));
            return one!;
          } catch (err) {
            throw new InvalidInputError(`payloads.${i}`, (err as Error).message);
          }
        }),
      );
      res.json({ payloads: converted.map(payloadToJson) });
    },
  );
  return router;
}
