import { SMTPServer } from 'smtp-server';
import { Mailbox, type CaughtMail } from './mailbox';

export interface MailCatcher {
  port: number;
  mailbox: Mailbox;
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback that keeps every message it receives in a Mailbox: the local
 * stack's stand-in for the world's inboxes, and the tests' way of reading what customers get.
 */
export async function startMailCatcher(options: {
  dir: string;
  port?: number;
  host?: string;
  onMail?: (mail: CaughtMail) => void;
  /** Refuse these recipients with a permanent 550, to exercise bounce handling. */
  rejectRecipients?: (address: string) => boolean;
}): Promise<MailCatcher> {
  const mailbox = new Mailbox(options.dir);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    banner: 'journey engine mail catcher',
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipients?.(address.address)) {
        callback(Object.assign(new Error(`mailbox ${address.address} does not exist`), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        mailbox.keep(Buffer.concat(chunks), to).then(
          ({ summarised }) => {
            callback(); // 250: the message is kept
            summarised.then(
              (mail) => options.onMail?.(mail),
              (err: unknown) => console.error('mail catcher: a kept message could not be summarised', err),
            );
          },
          (err: Error) => callback(err),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  // A client that goes away mid-conversation (a worker killed while sending) is an error of that connection
  // only: without a listener it would stop the whole process.
  server.on('error', () => undefined);
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  return {
    port,
    mailbox,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
