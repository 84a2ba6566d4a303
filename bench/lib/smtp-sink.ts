import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { nowMs } from './clock';

/** The emails of the benchmark's journeys, told apart by their template's subject (the same templates on both sides). */
export const EMAIL_KINDS = {
  welcome: /^Welcome to your /,
  followUp: /^This month's tips for /,
  loginHelp: /^Need a hand getting started/,
  renewalReminder: /plan renews soon/,
} as const;
export type EmailKind = keyof typeof EMAIL_KINDS | 'other';

/** Every benchmark customer's contact is `<customerId>@bench.example`: the envelope says whose email arrived. */
export const BENCH_MAIL_DOMAIN = 'bench.example';
export const contactEmail = (customerId: string) => `${customerId}@${BENCH_MAIL_DOMAIN}`;

export interface Arrival {
  kind: EmailKind;
  /** Epoch ms (sub-millisecond) when the end of data arrived: the moment the customer has the email. */
  at: number;
  bytes: number;
}

/** The Subject header of a raw message (unfolded), read from its header block only. */
function subjectOf(header: string): string {
  const match = /^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(header);
  return match ? match[1]!.replace(/\r?\n[ \t]+/g, ' ').trim() : '';
}

function kindOf(subject: string): EmailKind {
  for (const [kind, pattern] of Object.entries(EMAIL_KINDS)) if (pattern.test(subject)) return kind as EmailKind;
  return 'other';
}

/**
 * A lean SMTP sink for both sides: it keeps no message, only when each arrived, for whom and which template,
 * so the receiving end costs little and the same for the engine and the raw workflow. The project's mail
 * catcher writes every message to disk, which would weigh on the numbers. Dot-stuffed lines are left as they
 * are: only the header block is read.
 */
export class SmtpSink {
  private readonly arrivals = new Map<string, Arrival[]>();
  private readonly waiters = new Map<string, (() => void)[]>();
  private server?: Server;
  port = 0;
  total = 0;

  async start(): Promise<void> {
    this.server = createServer((socket) => this.converse(socket));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /**
   * One SMTP conversation, the least a client (nodemailer) needs: greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
   * QUIT. Not the smtp-server package: it holds every greeting back 100 ms (to catch early talkers), which would
   * add 100 ms to every email of both sides.
   */
  private converse(socket: Socket): void {
    let buffer = '';
    let inData = false;
    let recipients: string[] = [];
    let bytes = 0;
    socket.on('error', () => undefined); // a sender cut off mid-message is that connection's problem only
    socket.setNoDelay(true);
    socket.write('220 bench-sink ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) break;
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          bytes = message.length;
          this.received(message, recipients, bytes);
          recipients = [];
          socket.write('250 OK: message received\r\n');
          continue;
        }
        const lineEnd = buffer.indexOf('\r\n');
        if (lineEnd < 0) break;
        const line = buffer.slice(0, lineEnd);
        buffer = buffer.slice(lineEnd + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250 bench-sink\r\n');
        else if (verb === 'RCPT') {
          recipients.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
          socket.write('250 Accepted\r\n');
        } else if (verb === 'DATA') {
          inData = true;
          // A message that starts right away ends with "\r\n.\r\n" after a first line: keep the search uniform.
          buffer = `\r\n${buffer}`;
          socket.write('354 End data with <CR><LF>.<CR><LF>\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 Bye\r\n');
          return;
        } else if (verb === 'RSET') {
          recipients = [];
          socket.write('250 OK\r\n');
        } else socket.write('250 OK\r\n'); // MAIL, NOOP and anything else
      }
    });
  }

  private received(message: string, recipients: string[], bytes: number): void {
    const at = nowMs();
    const kind = kindOf(subjectOf(message.replace(/^\r\n/, '').split(/\r?\n\r?\n/)[0] ?? ''));
    for (const rcpt of recipients) this.record(rcpt.split('@')[0]!, { kind, at, bytes });
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  private record(customerId: string, arrival: Arrival): void {
    this.total += 1;
    const list = this.arrivals.get(customerId) ?? [];
    list.push(arrival);
    this.arrivals.set(customerId, list);
    const key = `${customerId}/${arrival.kind}`;
    for (const wake of this.waiters.get(key) ?? []) wake();
    this.waiters.delete(key);
  }

  /** The first arrival of that kind for the customer, if any. */
  first(customerId: string, kind: EmailKind): Arrival | undefined {
    return this.arrivals.get(customerId)?.find((arrival) => arrival.kind === kind);
  }

  all(customerId: string): Arrival[] {
    return this.arrivals.get(customerId) ?? [];
  }

  /** Resolves with the first arrival of that kind for the customer; rejects after `timeoutMs`. */
  waitFor(customerId: string, kind: EmailKind, timeoutMs: number): Promise<Arrival> {
    const arrived = this.first(customerId, kind);
    if (arrived) return Promise.resolve(arrived);
    return new Promise((resolve, reject) => {
      const key = `${customerId}/${kind}`;
      const timer = setTimeout(() => reject(new Error(`no ${kind} email for ${customerId} within ${timeoutMs} ms`)), timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(this.first(customerId, kind)!);
      };
      this.waiters.set(key, [...(this.waiters.get(key) ?? []), wake]);
    });
  }

  /** Waits for that email of every customer, and says which never came (none lost is the point). */
  async waitForAll(customerIds: readonly string[], kind: EmailKind, timeoutMs: number): Promise<{ arrived: number; missing: string[] }> {
    const outcomes = await Promise.allSettled(customerIds.map((id) => this.waitFor(id, kind, timeoutMs)));
    const missing = customerIds.filter((_id, i) => outcomes[i]!.status === 'rejected');
    return { arrived: customerIds.length - missing.length, missing };
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
