import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { readRecords, writeRecord } from '../files/record-files';

export interface CaughtMail {
  id: string;
  receivedAt: string;
  from: string;
  to: string[];
  subject: string;
  messageId?: string;
  /** The engine's idempotency key (X-Journey-Key): which journey and touchpoint sent it. */
  journeyKey?: string;
  text: string;
  attachments: { filename?: string; contentType: string; size: number }[];
}

/**
 * The mail catcher's folder: every message as its raw .eml file plus a parsed .json summary, so a
 * person can open the real email and the API can list them without parsing MIME on every request.
 */
export class Mailbox {
  constructor(readonly dir: string) {}

  /** Summaries of messages kept but not yet parsed: a listing waits for them, so it never misses a kept message. */
  private readonly summarising = new Set<Promise<unknown>>();

  /**
   * Keeps a message: its raw .eml is written before this resolves (what an SMTP server must do before it
   * answers 250); its summary is parsed and written after, so the sender's wait is no longer than a real
   * server's. `summarised` resolves with the summary once it is listed.
   */
  async keep(raw: Buffer, envelopeTo: string[]): Promise<{ summarised: Promise<CaughtMail> }> {
    const receivedAt = new Date();
    const id = `${receivedAt.getTime()}-${Math.random().toString(36).slice(2, 8)}`;
    await mkdir(this.dir, { recursive: true });
    await writeFile(path.join(this.dir, `${id}.eml`), raw);
    const summarised = this.summarise(id, receivedAt, raw, envelopeTo);
    this.summarising.add(summarised);
    void summarised.finally(() => this.summarising.delete(summarised)).catch(() => undefined);
    return { summarised };
  }

  private async summarise(id: string, receivedAt: Date, raw: Buffer, envelopeTo: string[]): Promise<CaughtMail> {
    const parsed = await simpleParser(raw);
    const mail: CaughtMail = {
      id,
      receivedAt: receivedAt.toISOString(),
      from: parsed.from?.text ?? '',
      to: envelopeTo,
      subject: parsed.subject ?? '',
      messageId: parsed.messageId,
      journeyKey: headerText(parsed.headers.get('x-journey-key')),
      text: parsed.text ?? '',
      attachments: parsed.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size })),
    };
    // The summary appears last, whole, so a listing never sees half a message; indented for a person to read.
    await writeRecord(path.join(this.dir, `${id}.json`), mail, { indent: 2 });
    return mail;
  }

  /** Newest first, optionally only what was sent to one address or by one journey (its workflow id). */
  async list(filter: { to?: string; journey?: string } = {}): Promise<CaughtMail[]> {
    await Promise.allSettled([...this.summarising]);
    const mails = await readRecords<CaughtMail>(this.dir);
    const wanted = filter.to?.toLowerCase();
    return mails
      .filter((mail) => !wanted || mail.to.some((to) => to.toLowerCase() === wanted))
      .filter((mail) => !filter.journey || mail.journeyKey?.startsWith(`${filter.journey}/`))
      .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
  }

  /** The raw message, as the SMTP server received it. */
  async raw(id: string): Promise<Buffer | undefined> {
    if (!/^[0-9a-z-]+$/.test(id)) return undefined;
    try {
      return await readFile(path.join(this.dir, `${id}.eml`));
    } catch {
      return undefined;
    }
  }
}

function headerText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
