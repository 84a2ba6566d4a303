import path from 'node:path';
import nodemailer from 'nodemailer';
import type { ActivityDeps } from '../../activities';
import { loadTrainers, type Trainer } from '../delivery/availability';
import { FileDeliveryLedger } from '../delivery/ledger';
import { FileSessionCalendar, type SessionCalendar } from '../delivery/session-calendar';
import { FileSuppressionList } from '../delivery/suppressions';
import type { EmailTemplates } from '../delivery/templates';

export type Mailer = ActivityDeps['mailer'];

/** How emails leave: through the SMTP server at a URL (smtp:// or smtps://), or through a mailer given as it is. */
export type MailOptions = { smtpUrl: string; mailer?: undefined } | { mailer: Mailer; smtpUrl?: undefined };

/** What the activities' dependencies are made from, but the mail: the worker's configuration, or what a rehearsal or a test chooses. */
export interface ActivityDepsSettings {
  /**
   * The folder of the file stores, shared by every worker: the delivery ledger in `deliveries`, the session
   * calendar in `session-calendar`, the suppression list in `suppressions` (where the API reads it too).
   */
  dataDir: string;
  templates: EmailTemplates;
  /** The From address of every journey email. */
  mailFrom: string;
  /** The trainers file (read and validated now, so a mistake in it stops the caller), or the trainers themselves. */
  trainers: string | Trainer[];
  /** A calendar to book sessions in instead of the one in the data folder (a test's). */
  sessionCalendar?: SessionCalendar;
  unsubscribeSecret: string;
  publicUrl: string;
  webhookSecret: string;
}

export type ActivityDepsOptions = MailOptions & ActivityDepsSettings;

/** The activities' dependencies, with the file ledger itself, so a worker can check it is writable before it starts. */
export type BuiltActivityDeps = ActivityDeps & { ledger: FileDeliveryLedger };

/** The one place the activities' dependencies are put together: for the worker, the rehearsal and the tests. */
export function buildActivityDeps(options: ActivityDepsOptions): BuiltActivityDeps {
  const { dataDir } = options;
  return {
    mailer: options.mailer === undefined ? smtpMailer(options.smtpUrl) : options.mailer,
    ledger: new FileDeliveryLedger(path.join(dataDir, 'deliveries')),
    templates: options.templates,
    mailFrom: options.mailFrom,
    trainers: typeof options.trainers === 'string' ? loadTrainers(options.trainers) : options.trainers,
    sessionCalendar: options.sessionCalendar ?? new FileSessionCalendar(path.join(dataDir, 'session-calendar')),
    suppressions: new FileSuppressionList(path.join(dataDir, 'suppressions')),
    unsubscribeSecret: options.unsubscribeSecret,
    publicUrl: options.publicUrl,
    webhookSecret: options.webhookSecret,
  };
}

/** A mailer that builds every message (nodemailer's JSON transport) and sends none: the rehearsal's, and tests'. */
export function nonSendingMailer(): Mailer {
  return nodemailer.createTransport({ jsonTransport: true });
}

/**
 * The SMTP transport. Every SMTP wait ends well inside the activity's one-minute start-to-close timeout,
 * so an attempt never outlives its retry (which would pass the ledger check and send a second time).
 */
function smtpMailer(url: string): Mailer {
  return nodemailer.createTransport({
    url,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 40_000,
  });
}
