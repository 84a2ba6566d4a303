import { ApplicationFailure } from '@temporalio/activity';
import { stableId } from '../src/delivery/ledger';
import {
  EVENT_HEADER,
  IDEMPOTENCY_KEY_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
} from '../src/delivery/webhooks';
import { webhookDestinationProblem } from '../src/delivery/webhook-destinations';
import type { ActivityDeps, TouchpointInput } from './deps';

/** Failure type of a webhook the receiver refused for good (4xx); retrying cannot fix it. */
export const WEBHOOK_REJECTED = 'WebhookRejected';
/** Failure type of a webhook whose destination the engine does not call (a private or loopback address). */
export const WEBHOOK_DESTINATION_REFUSED = 'WebhookDestinationRefused';

/** A slow receiver fails the attempt well inside the activity's start-to-close timeout, and is retried. */
const TIMEOUT_MS = 10_000;
/** Statuses that mean "not now" rather than "never": retried like 5xx. */
const RETRYABLE_STATUSES = new Set([408, 425, 429]);

export interface WebhookInput extends TouchpointInput {
  url: string;
  event: string;
  payload: Record<string, unknown>;
  /** When the touchpoint was due (ISO): the body's occurredAt, the same on every attempt. */
  dueAt: string;
}

export interface WebhookDelivery {
  url: string;
  event: string;
  status: number;
  deliveryId: string;
}

/**
 * POSTs a touchpoint to a receiver (e.g. a CRM), signed with deps.webhookSecret (see
 * verifyWebhookSignature for the scheme). Deliberately not wrapped in deps.ledger.once: the
 * contract is that a webhook is re-delivered on every retry with the same Idempotency-Key and the
 * same body, byte for byte, and the receiver dedupes by the key. (The ledger could not make it
 * exactly-once anyway: a crash after the receiver's 2xx and before the record re-sends it.)
 * Only the timestamp and signature headers change between attempts.
 */
export async function callWebhook(deps: Pick<ActivityDeps, 'webhookSecret' | 'webhookAllowedHosts'>, input: WebhookInput): Promise<WebhookDelivery> {
  const { url, event, customer, owner } = input;
  const refused = await webhookDestinationProblem(url, deps.webhookAllowedHosts);
  if (refused) throw ApplicationFailure.create({ type: WEBHOOK_DESTINATION_REFUSED, message: `webhook not sent: ${refused}`, nonRetryable: true });
  const deliveryId = `whk-${stableId(input.key).slice(0, 16)}`;
  // Built only from the input, so a retry sends the same bytes.
  const body = JSON.stringify({
    id: deliveryId,
    event,
    occurredAt: input.dueAt,
    customer: { customerId: customer.customerId, company: customer.company, segment: customer.segment, plan: customer.plan },
    touchpoint: input.touchpointName,
    owner: { role: input.ownerRole, name: owner.name, email: owner.email },
    data: input.payload,
  });
  const timestamp = Math.floor(Date.now() / 1000);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'customer-journeys-webhooks/1',
        [IDEMPOTENCY_KEY_HEADER]: input.key,
        [EVENT_HEADER]: event,
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signWebhook(deps.webhookSecret, timestamp, body),
      },
      body,
      // A signed delivery is not forwarded to wherever a redirect points: a 3xx is refused below.
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    // Connection refused, DNS, TLS, timeout: all transient as far as we can tell, so retried.
    const cause = (err as Error & { cause?: Error }).cause;
    throw new Error(`webhook ${url} unreachable: ${(err as Error).message}${cause ? ` (${cause.message})` : ''}`);
  }
  const { status } = response;
  if (status >= 200 && status < 300) {
    await response.body?.cancel(); // unread, so the connection is released now rather than at GC
    return { url, event, status, deliveryId };
  }
  // The receiver's body never goes further (into the journey, a task, an email): it could hold anything.
  await response.body?.cancel();
  const answer = sanitizedStatus(response);
  if (status >= 500 || RETRYABLE_STATUSES.has(status)) {
    throw new Error(`webhook ${url} failed with ${status}: ${answer}`);
  }
  throw ApplicationFailure.create({
    type: WEBHOOK_REJECTED,
    message: `webhook ${url} refused with ${status}: ${answer}`,
    nonRetryable: true,
  });
}

/** The status line's reason, printable characters only and short: all of the answer the journey keeps. */
function sanitizedStatus(response: Response): string {
  return response.statusText.replace(/[^\x20-\x7e]/g, '').slice(0, 40) || 'no reason given';
}
