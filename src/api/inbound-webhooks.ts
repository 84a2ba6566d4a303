import express, { type RequestHandler } from 'express';
import { INBOUND_SIGNATURE_HEADER, verifyInboundSignature } from '../auth/webhook-signatures';
import { BadSignatureError, InvalidInputError, NotFoundError } from '../errors';
import { fromInboundEvent, fromSegment, fromStripe, type InboundOutcome } from '../journeys/inbound-events';
import type { JourneyService } from '../journeys/service';
import { MAX_BODY_BYTES } from './hardening';

export interface InboundWebhookOptions {
  /** INBOUND_WEBHOOK_SECRETS: a request signed with any of them is taken. None: every inbound route answers 503. */
  secrets: readonly string[];
  journeys: Pick<JourneyService, 'deliverEvent'>;
  log: { debug: (obj: object, msg: string) => void };
}

export const INBOUND_PATH = '/v1/inbound';

const NOT_CONFIGURED = 'inbound webhooks are not configured on this engine: set INBOUND_WEBHOOK_SECRETS on the API (README: Inbound webhooks)';

/**
 * Events from product and billing systems as signed webhooks: the Stripe-Signature header (see
 * src/auth/webhook-signatures.ts) is the credential here, in place of an API key, so a sender such as Stripe or a
 * Segment destination, which cannot send our API keys, can still deliver. Mounted before the API's JSON parser:
 * the signature covers the body's bytes exactly as sent, so the body is read raw (within the API's body limit)
 * and parsed only once it verified. The API's host check and rate limits apply as to every route.
 * An unconfigured engine answers 503 rather than 404: the sender keeps retrying, and what it retries is
 * delivered once the secrets are set.
 */
export function inboundWebhookRouter({ secrets, journeys, log }: InboundWebhookOptions): express.Router {
  const router = express.Router();
  router.use(
    INBOUND_PATH,
    (_req, res, next) => {
      if (secrets.length === 0) {
        res.status(503).json({ error: NOT_CONFIGURED });
        return;
      }
      next();
    },
    // Any content type: the bytes are what is signed, and they must be JSON whatever the sender labels them.
    express.raw({ type: () => true, limit: MAX_BODY_BYTES }),
    verified(secrets),
  );

  const route = (name: string, map: (body: unknown) => InboundOutcome, answer: (outcome: Delivered, delivered: object) => object) => {
    router.post(`${INBOUND_PATH}/${name}`, async (req, res) => {
      const outcome = map(jsonOf(rawBody(req)));
      if (!outcome.delivered) {
        // 200, not 4xx: the message is sound, it is just not for a journey; a refusal would only be retried.
        // Debug, not info: a Segment source sends every page view, and each would be a line.
        log.debug({ route: name, reason: outcome.reason }, 'inbound webhook ignored');
        res.status(200).json({ ignored: true, reason: outcome.reason });
        return;
      }
      const delivered = await journeys.deliverEvent(outcome.customerId, outcome.event);
      res.status(202).json(answer(outcome, delivered));
    });
  };
  // As the keyed POST /v1/customers/:customerId/events answers.
  route('events', fromInboundEvent, (_outcome, delivered) => delivered);
  // With the type the mapping made and the fields it left out, so whoever wires the sender up sees both.
  const mapped = (outcome: Delivered, delivered: object) => ({ ...delivered, type: outcome.event.type, ...(outcome.dropped.length > 0 ? { dropped: outcome.dropped } : {}) });
  route('segment', fromSegment, mapped);
  route('stripe', fromStripe, mapped);

  // A signed request to no inbound route ends here: the rest of the API would try to read the body again.
  router.use(INBOUND_PATH, (req, _res, next) => next(new NotFoundError(`no route ${req.method} ${req.originalUrl.split('?')[0]}`)));
  return router;
}

type Delivered = Extract<InboundOutcome, { delivered: true }>;

/** Lets a request through only when its Stripe-Signature verifies with one of the secrets, over the raw body, lately. */
function verified(secrets: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    const verdict = verifyInboundSignature({ header: req.get(INBOUND_SIGNATURE_HEADER), body: rawBody(req), secrets });
    if (!verdict.ok) throw new BadSignatureError(verdict.reason);
    next();
  };
}

/** The body as received; a request without one has an empty body (which is what its signature covers). */
function rawBody(req: { body?: unknown }): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

function jsonOf(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new InvalidInputError('(body)', 'is not valid JSON');
  }
}
