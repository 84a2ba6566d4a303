import { Transform } from 'node:stream';
import type { Transporter } from 'nodemailer';

/** What a message to send may carry: awaited right before its end of data goes to the SMTP server. */
export interface EndOfDataGate {
  beforeEndOfData?: () => Promise<void>;
}

/**
 * An SMTP server keeps a message only once it has the end of data (the lone dot), so everything before it
 * can be cut without anything arriving. This nodemailer plugin holds the message's last step until
 * `beforeEndOfData` resolves (the delivery ledger records there that the delivery passed its point of no
 * return); when it fails, the message stream fails and the transaction is abandoned before its end.
 */
export function withEndOfDataGate<T extends Pick<Transporter, 'use'>>(transporter: T): T {
  transporter.use('stream', (mail, done) => {
    const gate = (mail.data as EndOfDataGate).beforeEndOfData;
    if (gate) {
      mail.message.transform(
        () =>
          new Transform({
            transform: (chunk, _encoding, pass) => pass(null, chunk),
            flush: (finish) => void gate().then(() => finish(), finish),
          }),
      );
    }
    done();
  });
  return transporter;
}
