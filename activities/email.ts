import type { ActivityDeps, TouchpointInput } from './deps';
import { address, renderEmail, sendMail } from './mail';

export interface TouchpointEmailInput extends TouchpointInput {
  template: string;
}

export interface SentEmail {
  to: string[];
  subject: string;
  messageId: string;
}

/** Sends a touchpoint's templated email to the customer's contact, once per idempotency key. */
export async function sendTouchpointEmail(deps: ActivityDeps, input: TouchpointEmailInput): Promise<SentEmail> {
  return deps.ledger.once(input.key, async () => {
    const { customer, owner } = input;
    const email = renderEmail(deps, input.template, customer, owner);
    const messageId = await sendMail(deps, input.key, {
      to: address(customer.contact),
      replyTo: address(owner),
      ...email,
    });
    return { to: [customer.contact.email], subject: email.subject, messageId };
  });
}
