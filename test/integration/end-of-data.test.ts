import nodemailer, { type SendMailOptions } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { withEndOfDataGate } from '../../src/delivery/end-of-data-gate';
import { nonSendingMailer } from '../../src/worker/activity-deps';

/**
 * The point of no return of an email, against a real SMTP server on loopback: nothing is kept by the server
 * until the end of data, and the end of data waits for the gate (where the ledger records it).
 */
const received: string[] = [];
const chunksSeen: number[] = [];
let cutShort = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, _session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      chunksSeen.push(chunk.length);
    });
    stream.on('error', (err) => {
      cutShort += 1;
      callback(err);
    });
    stream.on('end', () => {
      received.push(Buffer.concat(chunks).toString());
      callback();
    });
  },
});
let url = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.on('error', () => undefined); // the cut connection
  const address = server.server.address();
  url = `smtp://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(resolve)));

const message = (subject: string) => ({ from: 'success@journeys.local', to: 'ana@acme.example', subject, text: 'Hello Ana\n'.repeat(200) });

test('the server has the whole message only after the gate opened, and keeps it then', async () => {
  const mailer = withEndOfDataGate(nodemailer.createTransport({ url }));
  let open!: () => void;
  let gateReached!: () => void;
  const atGate = new Promise<void>((resolve) => (gateReached = resolve));
  const sent = mailer.sendMail({
    ...message('held at the gate'),
    beforeEndOfData: () => {
      gateReached();
      return new Promise<void>((resolve) => (open = resolve));
    },
  } as SendMailOptions);
  await atGate;
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(chunksSeen.length).toBeGreaterThan(0); // the data is at the server...
  expect(received).toEqual([]); // ...but not its end, so it keeps nothing yet
  open();
  await expect(sent).resolves.toMatchObject({ accepted: ['ana@acme.example'] });
  expect(received).toHaveLength(1);
  expect(received[0]).toContain('Subject: held at the gate');
  mailer.close();
});

test('a gate that fails abandons the message before its end: the server keeps nothing', async () => {
  const mailer = withEndOfDataGate(nodemailer.createTransport({ url }));
  const before = received.length;
  await expect(
    mailer.sendMail({ ...message('never ends'), beforeEndOfData: () => Promise.reject(new Error('a newer attempt took it over')) } as SendMailOptions),
  ).rejects.toThrow('a newer attempt took it over');
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(received.length).toBe(before);
  expect(cutShort).toBe(1);
  mailer.close();
});

test('the mailer that sends nothing (rehearsals, tests) passes the gate too', async () => {
  const gate = jest.fn(() => Promise.resolve());
  await nonSendingMailer().sendMail({ ...message('built only'), beforeEndOfData: gate } as SendMailOptions);
  expect(gate).toHaveBeenCalledTimes(1);
});
