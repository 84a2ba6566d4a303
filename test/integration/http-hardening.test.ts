import { connect } from 'node:net';
import { LocalStack } from '../helpers/stack';

/** A careless or hostile client meets limits before any route: hosts, headers, rates, sizes and slowness. */
const stack = new LocalStack({ http: { requestsPerMinute: 20 }, headersTimeoutMs: 2_000 });

beforeAll(async () => {
  await stack.startTemporal();
  await stack.startMail();
  await stack.startWorker(); // serves the map registry the API publishes the shipped maps to
  await stack.startApi();
}, 120_000);

afterAll(async () => {
  await stack.stopAll();
});

/** A raw HTTP exchange, to send what fetch would not (another Host, a false Content-Length, nothing at all). */
function raw(request: string, waitMs = 5_000): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(new URL(stack.apiUrl).port), '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => resolve({ answer, closedAfterMs: Date.now() - started }));
    socket.on('error', reject);
    socket.setTimeout(waitMs, () => socket.destroy());
  });
}

test('security headers on every answer: a Content-Security-Policy without inline scripts, no sniffing, no framing', async () => {
  const page = await fetch(`${stack.apiUrl}/`);
  const csp = page.headers.get('content-security-policy') ?? '';
  expect(csp).toMatch(/script-src 'self'/);
  expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
  expect(csp).toMatch(/frame-ancestors 'self'/);
  expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  expect(page.headers.get('x-powered-by')).toBeNull();
  // The console's code comes from files, which that policy allows: its modules and the charting library.
  expect(await page.text()).toContain('<script type="module" src="/console.js"></script>');
  expect((await fetch(`${stack.apiUrl}/console.js`)).status).toBe(200);
  expect((await fetch(`${stack.apiUrl}/vendor/chart.umd.min.js`)).headers.get('content-type')).toMatch(/javascript/);
});

test('a Host the engine does not answer to is refused (DNS rebinding)', async () => {
  const { answer } = await raw('GET /healthz HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n');
  expect(answer).toMatch(/^HTTP\/1.1 400/);
  expect(answer).toContain('host \\"attacker.example\\" is not one this engine answers to (API_ALLOWED_HOSTS)');
  const { answer: local } = await raw(`GET /healthz HTTP/1.1\r\nHost: localhost:${new URL(stack.apiUrl).port}\r\nConnection: close\r\n\r\n`);
  expect(local).toMatch(/^HTTP\/1.1 200/);
});

test('a body announced too large is refused before it is read; a client that trickles its headers is cut off', async () => {
  const { answer, closedAfterMs } = await raw(
    `POST /v1/purchases HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n${Object.entries(stack.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n{"customerId":`,
  );
  expect(answer).toMatch(/^HTTP\/1.1 413/);
  expect(closedAfterMs).toBeLessThan(4_000);

  const slow = await raw('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 15_000);
  expect(slow.closedAfterMs).toBeLessThan(6_000); // the stack's 2 s headers timeout, checked every second
});

test('past the rate limit an address gets 429 with when to retry; health checks are never limited', async () => {
  let answer: Response | undefined;
  for (let i = 0; i < 25 && answer?.status !== 429; i += 1) answer = await fetch(`${stack.apiUrl}/v1/maps`, { headers: stack.headers });
  expect(answer!.status).toBe(429);
  expect(Number(answer!.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(await answer!.json()).toEqual({ error: expect.stringMatching(/^too many requests .*: at most 20 a minute/) });
  expect((await fetch(`${stack.apiUrl}/healthz`)).status).toBe(200);
});
