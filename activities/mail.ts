import { ApplicationFailure } from '@temporalio/activity';
import type { SendMailOptions } from 'nodemailer';
import { stableId } from '../src/delivery/ledger';
import type { EndOfDataGate } from '../src/delivery/end-of-data-gate';
import type { CustomerDetails, Person } from '../src/journeys/customer';
import type { ActivityDeps } from './deps';
import { CONTACT_UNSUBSCRIBED } from '../contracts/failures';

/** Failure type of an email the receiving side refused for good; retrying cannot fix it. */
export const EMAIL_REJECTED = 'EmailRejected';


/** Fails for good when the contact unsubscribed: the journey then skips the touchpoint (a session becomes a task). */
export async function refuseIfUnsubscribed(deps: ActivityDeps, contact: Person): Promise<void> {
  const suppressed = await deps.suppressions.find(contact.email);
  if (!suppressed) return;
  throw ApplicationFailure.create({
    type: CONTACT_UNSUBSCRIBED,
    message: `${contact.email} unsubscribed from journey emails on ${suppressed.at.slice(0, 10)}`,
    nonRetryable: true,
    details: [suppressed],
  });
}

/**
 * Sends one message with a Message-ID derived from the idempotency key, so a duplicate that slips
 * through a crash is recognisable downstream. `pointOfNoReturn` (the ledger's) is awaited right before
 * the end of data: see src/delivery/end-of-data-gate.ts. SMTP 5xx and malformed addresses fail for good;
 * everything else (connection refused, 4xx) is thrown as is for Temporal to retry. Extra headers
 * (e.g. List-Unsubscribe) go along; X-Journey-Key is always the key.
 */
export async function sendMail(
  deps: ActivityDeps,
  key: string,
  message: Omit<SendMailOptions, 'from' | 'messageId' | 'headers'> & { headers?: Record<string, string> },
  pointOfNoReturn?: () => Promise<void>,
) {
  const messageId = `<${stableId(key)}@journeys.local>`;
  try {
    const headers = { ...message.headers, 'X-Journey-Key': key };
    const gate: EndOfDataGate = pointOfNoReturn ? { beforeEndOfData: pointOfNoReturn } : {};
    await deps.mailer.sendMail({ ...message, from: deps.mailFrom, messageId, headers, ...gate });
  } catch (err) {
    const { responseCode, code, message: reason } = err as { responseCode?: number; code?: string; message: string };
    if ((responseCode !== undefined && responseCode >= 500) || code === 'EENVELOPE') {
      throw ApplicationFailure.create({ type: EMAIL_REJECTED, message: `email refused: ${reason}`, nonRetryable: true });
    }
    throw err;
  }
  return messageId;
}

/**
 * Whether a failed send was refused by the SMTP server (it answered, with a code): then nothing arrived,
 * even past the end of data. A failure without an answer (a cut connection) may have come after it accepted.
 */
export function smtpRefused(err: unknown): boolean {
  return typeof (err as { responseCode?: unknown }).responseCode === 'number' || (err as { type?: unknown }).type === EMAIL_REJECTED;
}

/** Failure type of a template that cannot render for this customer; retrying cannot fix it. */
export const TEMPLATE_FAILED = 'TemplateFailed';

/**
 * Renders a template with the variables every template can use (customer, contact, owner) plus extras.
 * A template naming a variable this customer lacks fails for good, so the journey records it and moves on.
 */
export function renderEmail(deps: ActivityDeps, template: string, customer: CustomerDetails, owner: Person, extra: object = {}) {
  return renderTemplate(deps, template, { customer, contact: customer.contact, owner, ...extra });
}

/** Renders a template with exactly these variables (an email about no customer); a failure is for good, as above. */
export function renderTemplate(deps: ActivityDeps, template: string, variables: object) {
  try {
    return deps.templates.render(template, variables);
  } catch (err) {
    throw ApplicationFailure.create({ type: TEMPLATE_FAILED, message: (err as Error).message, nonRetryable: true });
  }
}

export function address(person: Person): string {
  return `"${person.name.replace(/"/g, "'")}" <${person.email}>`;
}
