import { Context } from '@temporalio/activity';
import nodemailer from 'nodemailer';
import type { EmailTemplates } from '../../src/delivery/templates';

/** What the raw workflow knows of its customer: what the templates it sends use. */
export interface RawCustomer {
  customerId: string;
  company: string;
  plan: string;
  contact: { name: string; email: string };
  owner: { name: string; email: string };
}

export interface RawEmailInput {
  /** Idempotency key as the engine makes one: the message id and X-Journey-Key derive from it. */
  key: string;
  template: string;
  customer: RawCustomer;
  /** The term's renewal date, which the renewal reminder names. */
  renewalDate: string;
}

/**
 * The raw baseline's one activity: render the same template the engine would (the project's templates, so the
 * message is about the same size), and send it with nodemailer to the same SMTP sink, with the same transport
 * timeouts as the engine's mailer (src/worker/activity-deps.ts). No ledger, no suppression list, no facts:
 * that is what the engine adds, and what the benchmark weighs.
 */
export function createRawActivities(options: { smtpUrl: string; mailFrom: string; templates: EmailTemplates; publicUrl: string }) {
  const mailer = nodemailer.createTransport({ url: options.smtpUrl, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 40_000 });
  return {
    async sendRawEmail(input: RawEmailInput): Promise<string> {
      Context.current().heartbeat();
      const { customer } = input;
      const unsubscribeUrl = `${options.publicUrl}/unsubscribe/${encodeURIComponent(customer.customerId)}`;
      const email = options.templates.render(input.template, {
        customer: { ...customer, renewalDate: input.renewalDate },
        contact: customer.contact,
        owner: customer.owner,
        unsubscribeUrl,
      });
      const messageId = `<${Buffer.from(input.key).toString('base64url').slice(-40)}@raw.bench>`;
      await mailer.sendMail({
        from: options.mailFrom,
        to: `"${customer.contact.name}" <${customer.contact.email}>`,
        replyTo: `"${customer.owner.name}" <${customer.owner.email}>`,
        subject: email.subject,
        text: `${email.text}\n\nUnsubscribe: ${unsubscribeUrl}\n`,
        html: email.html,
        messageId,
        headers: { 'X-Journey-Key': input.key, 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      });
      return messageId;
    },
  };
}
