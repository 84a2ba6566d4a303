import express, { type Request, type Response } from 'express';
import Handlebars from 'handlebars';
import { readUnsubscribeToken, UNSUBSCRIBE_LINK_DAYS, type SuppressionList, type UnsubscribeSubject } from '../delivery/suppressions';
import { InvalidInputError } from '../errors';
import { createLogger } from '../logger';

export interface UnsubscribeOptions {
  /** The secret the workers sign unsubscribe links with. */
  secret: string;
  /** Secrets they signed with before (UNSUBSCRIBE_PREVIOUS_SECRETS): links in emails already sent keep working after a rotation. */
  previousSecrets?: readonly string[];
  suppressions: SuppressionList;
  /**
   * Tells the rest of the engine (the customer's journey) after the suppression is recorded; called on
   * every unsubscribe, repeats included, so one that failed is tried again when the contact clicks again.
   */
  onUnsubscribed: (subject: UnsubscribeSubject) => Promise<void>;
  log?: { error: (obj: object, msg: string) => void };
}

const BAD_TOKEN = 'is not an unsubscribe link this engine made (it is incomplete or was altered)';
const EXPIRED_TOKEN = `has expired (a link works for ${UNSUBSCRIBE_LINK_DAYS} days after its email was sent)`;
const escape = Handlebars.escapeExpression;

/**
 * The unsubscribe link of every journey email. GET only asks, because mail scanners and link
 * previews open links nobody clicked; POST unsubscribes, from the page's button or from a mail
 * client's one-click unsubscribe (RFC 8058: a POST with the body List-Unsubscribe=One-Click).
 * The suppression is recorded first and stands whatever happens after; repeats change nothing.
 * Links signed with a previous secret still work after a rotation, and a link expires 400 days after its
 * email; an expired one says so (a page, or JSON for one-click) instead of "not ours".
 */
export function unsubscribeRouter({
  secret,
  previousSecrets = [],
  suppressions,
  onUnsubscribed,
  log = createLogger('api'),
}: UnsubscribeOptions): express.Router {
  const router = express.Router();
  // The current secret first: nearly every link was signed with it.
  const secrets = [secret, ...previousSecrets];

  router.get('/unsubscribe/:token', async (req: Request<{ token: string }>, res) => {
    const reading = readUnsubscribeToken(secrets, req.params.token);
    if (reading.status !== 'valid') return badLinkPage(res, reading.status);
    const { subject } = reading;
    const email = escape(subject.email);
    const already = await suppressions.find(subject.email);
    if (already) {
      return page(res, 200, 'Unsubscribed', `<h1>${email} is unsubscribed</h1><p>Since ${escape(already.at.slice(0, 10))}, no customer success emails go to this address.</p>`);
    }
    page(
      res,
      200,
      'Unsubscribe',
      `<h1>Unsubscribe ${email} from customer success emails?</h1>
<form method="post"><button type="submit" name="confirm" value="yes">Unsubscribe</button></form>`,
    );
  });

  router.post(
    '/unsubscribe/:token',
    express.urlencoded({ extended: false, limit: '1kb' }),
    async (req: Request<{ token: string }, unknown, Record<string, unknown> | undefined>, res) => {
      const oneClick = req.body?.['List-Unsubscribe'] === 'One-Click';
      const reading = readUnsubscribeToken(secrets, req.params.token);
      if (reading.status !== 'valid') {
        // A one-click unsubscribe comes from a mail provider's machine, which reads JSON better than a page.
        if (oneClick) throw new InvalidInputError('token', reading.status === 'expired' ? `${EXPIRED_TOKEN}: it expired on ${reading.expiredAt.slice(0, 10)}` : BAD_TOKEN);
        return badLinkPage(res, reading.status);
      }
      const { subject } = reading;
      await suppressions.add({ ...subject, at: new Date().toISOString(), source: oneClick ? 'one-click' : 'link' });
      try {
        await onUnsubscribed(subject);
      } catch (err) {
        log.error({ err, customerId: subject.customerId }, 'unsubscribe recorded, but telling the journey failed');
      }
      page(res, 200, 'Unsubscribed', `<h1>${escape(subject.email)} is unsubscribed</h1><p>You will get no more customer success emails at this address.</p>`);
    },
  );

  return router;
}

function badLinkPage(res: Response, status: 'invalid' | 'expired'): void {
  if (status === 'expired') {
    // The address is not shown: who holds an old link may no longer be who reads that mailbox.
    return page(
      res,
      400,
      'Link expired',
      `<h1>This unsubscribe link ${EXPIRED_TOKEN}</h1><p>Use the unsubscribe link in a more recent email from us, or reply to any of our emails and ask us to stop: we will unsubscribe you.</p>`,
    );
  }
  page(res, 400, 'Invalid link', `<h1>This link ${BAD_TOKEN}</h1><p>Open the unsubscribe link from the email again, exactly as it is.</p>`);
}

/** A page that is never cached and never sends its address (the token) on as a Referer. */
function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' })
    .type('html')
    .send(
      `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><meta name="viewport" content="width=device-width">
<title>${title}</title></head>
<body style="font-family:sans-serif;max-width:36em;margin:3em auto">
${body}
</body></html>
`,
    );
}
