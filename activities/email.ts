import Handlebars from 'handlebars';
import type { RenderedEmail } from '../src/delivery/templates';
import { unsubscribeToken, unsubscribeUrl } from '../src/delivery/suppressions';
import type { CustomerDetails } from '../src/journeys/customer';
import type { ActivityDeps, TouchpointInput } from './deps';
import { address, refuseIfUnsubscribed, renderEmail, sendMail, smtpRefused } from './mail';

export interface TouchpointEmailInput extends TouchpointInput {
  template: string;
  /**
   * A reply to something the customer did (not a journey's own initiative): it carries no unsubscribe
   * link or headers. A contact who unsubscribed still gets nothing at all.
   */
  transactional?: boolean;
}

export interface SentEmail {
  to: string[];
  subject: string;
  messageId: string;
}

/**
 * Sends a touchpoint's templated email to the customer's contact, once per idempotency key, unless
 * the contact unsubscribed (checked inside the ledger, so a retry of a sent email still returns it).
 * Journey emails carry an unsubscribe link and the RFC 2369 / RFC 8058 one-click headers.
 */
export async function sendTouchpointEmail(deps: ActivityDeps, input: TouchpointEmailInput): Promise<SentEmail> {
  return deps.ledger.onceWithPointOfNoReturn(input.key, async (pointOfNoReturn) => {
    const { customer, owner } = input;
    await refuseIfUnsubscribed(deps, customer.contact);
    const token = unsubscribeToken(deps.unsubscribeSecret, { customerId: customer.customerId, email: customer.contact.email });
    const link = unsubscribeUrl(deps.publicUrl, token);
    const email = renderEmail(deps, input.template, customer, owner, { unsubscribeUrl: link, journey: input.journey });
    const messageId = await sendMail(deps, input.key, {
      to: address(customer.contact),
      replyTo: address(owner),
      ...(input.transactional
        ? email
        : {
            ...withUnsubscribeFooter(email, customer, link),
            headers: { 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
          }),
    }, pointOfNoReturn);
    return { to: [customer.contact.email], subject: email.subject, messageId };
  }, smtpRefused);
}

/** Says why the contact gets the email and how to stop it, below the text and the HTML alike. */
function withUnsubscribeFooter(email: RenderedEmail, customer: CustomerDetails, link: string): RenderedEmail {
  const why = `You receive this because ${customer.company} uses our ${customer.plan} plan.`;
  const text = `${email.text.trimEnd()}\n\n${why} Unsubscribe: ${link}\n`;
  if (email.html === undefined) return { ...email, text };
  const escape = Handlebars.escapeExpression;
  const footer = `<p style="font-size:12px;color:#666">${escape(why)} <a href="${escape(link)}">Unsubscribe</a></p>`;
  // A whole HTML document gets the footer inside its body; a fragment, at its end.
  const html = /<\/body>/i.test(email.html) ? email.html.replace(/<\/body>/i, (end) => footer + end) : email.html + footer;
  return { ...email, text, html };
}
