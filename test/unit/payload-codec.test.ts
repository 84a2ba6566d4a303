import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ConfigError, loadConfig, requirePayloadKeys } from '../../src/config';
import {
  EncryptionCodec,
  ENCRYPTED_ENCODING,
  FAILURE_CONVERTER_PATH,
  journeyDataConverter,
  KEY_ID_METADATA_KEY,
  parsePayloadKeys,
  PayloadDecryptionError,
} from '../../src/temporal/payload-codec';
import { failureConverter } from '../../src/temporal/failure-converter';

const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');
const ring = (text: string) => parsePayloadKeys(text);
const contact = { name: 'Ana Lopez', email: 'ana@acme.example' };
const plain = (): Payload => defaultPayloadConverter.toPayload({ customerId: 'acme', contact });
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

test('a payload round-trips: encrypted with the current key, iv | ciphertext | tag, then exactly the original again', async () => {
  const codec = new EncryptionCodec(ring(`k2:${key(2)},k1:${key(1)}`));
  const original = plain();
  const [encoded] = await codec.encode([original]);
  expect(text(encoded!.metadata![METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
  expect(text(encoded!.metadata![KEY_ID_METADATA_KEY])).toBe('k2');
  expect(Object.keys(encoded!.metadata!).sort()).toEqual([METADATA_ENCODING_KEY, KEY_ID_METADATA_KEY].sort());
  // Nothing of the value, and not even its own encoding, is readable.
  expect(text(encoded!.data)).not.toContain('ana@acme.example');
  expect(text(encoded!.data)).not.toContain('json/plain');
  const inner = temporal.api.common.v1.Payload.encode(original).finish();
  expect(encoded!.data!.length).toBe(12 + inner.length + 16);

  const [decoded] = await codec.decode([encoded!]);
  expect(text(decoded!.metadata![METADATA_ENCODING_KEY])).toBe('json/plain');
  expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ customerId: 'acme', contact });

  // A fresh iv each time: the same value never encrypts to the same bytes.
  const [again] = await codec.encode([original]);
  expect(Buffer.from(again!.data!).equals(Buffer.from(encoded!.data!))).toBe(false);
});

test('rotation: the new key encrypts, the old one still decrypts; a key the ring lacks fails naming its id', async () => {
  const before = new EncryptionCodec(ring(`k1:${key(1)}`));
  const after = new EncryptionCodec(ring(`k2:${key(2)},k1:${key(1)}`));
  const [old] = await before.encode([plain()]);
  expect(defaultPayloadConverter.fromPayload((await after.decode([old!]))[0]!)).toEqual({ customerId: 'acme', contact });

  const [current] = await after.encode([plain()]);
  expect(text(current!.metadata![KEY_ID_METADATA_KEY])).toBe('k2');
  await expect(before.decode([current!])).rejects.toThrow(PayloadDecryptionError);
  await expect(before.decode([current!])).rejects.toThrow(
    'a payload is encrypted with key "k2", which PAYLOAD_KEYS lacks (it holds "k1"): add that key back to the ring to read it',
  );
});

test('an altered payload, or one under another key of the same id, fails authentication instead of decoding to garbage', async () => {
  const codec = new EncryptionCodec(ring(`k1:${key(1)}`));
  const [encoded] = await codec.encode([plain()]);
  for (const at of [0, 12, encoded!.data!.length - 1]) {
    const data = Buffer.from(encoded!.data!);
    data[at] = data[at]! ^ 0x01;
    await expect(codec.decode([{ ...encoded!, data }])).rejects.toThrow(/a payload encrypted with key "k1" fails authentication/);
  }
  const impostor = new EncryptionCodec(ring(`k1:${key(9)}`));
  await expect(impostor.decode([encoded!])).rejects.toThrow(/fails authentication: it was altered, or "k1" in PAYLOAD_KEYS is not the key/);
  await expect(codec.decode([{ ...encoded!, data: encoded!.data!.subarray(0, 20) }])).rejects.toThrow(/is 20 bytes, too short/);
  const { [KEY_ID_METADATA_KEY]: _id, ...withoutId } = encoded!.metadata!;
  await expect(codec.decode([{ ...encoded!, metadata: withoutId }])).rejects.toThrow(/has no encryption-key-id/);
});

test('payloads of another encoding (histories from before encryption) pass through decoding unchanged', async () => {
  const codec = new EncryptionCodec(ring(`k1:${key(1)}`));
  const payloads = [plain(), defaultPayloadConverter.toPayload(undefined), defaultPayloadConverter.toPayload(new Uint8Array([1, 2]))];
  expect(await codec.decode(payloads)).toEqual(payloads);
  expect(await codec.encode([])).toEqual([]);
});

test('failures carry their message and stack trace in an encoded payload, which the codec encrypts', async () => {
  const failure = failureConverter.errorToFailure(new Error('550 no such mailbox ana@acme.example'), defaultPayloadConverter);
  expect(failure.message).toBe('Encoded failure');
  expect(failure.stackTrace).toBe('');
  const [encrypted] = await new EncryptionCodec(ring(`k1:${key(1)}`)).encode([failure.encodedAttributes!]);
  expect(text(encrypted!.data)).not.toContain('ana@acme.example');
  // Read back (as the client does), the error is whole again.
  expect(failureConverter.failureToError(failure, defaultPayloadConverter).message).toBe('550 no such mailbox ana@acme.example');

  const converter = journeyDataConverter(ring(`k1:${key(1)}`));
  // Compressed first, then encrypted: the last codec to encode is the encryption.
  expect(converter.payloadCodecs!.map((codec) => codec.constructor.name)).toEqual(['ZlibCodec', 'EncryptionCodec']);
  expect(((await import(FAILURE_CONVERTER_PATH)) as { failureConverter: unknown }).failureConverter).toBe(failureConverter);
});

test('PAYLOAD_KEYS: the first key encrypts, all decrypt; every mistake names the key and what is wrong, never the key itself', () => {
  const config = loadConfig({ PAYLOAD_KEYS: ` k2:${key(2)} , k1:${key(1)} ` });
  expect(requirePayloadKeys(config).map((k) => k.id)).toEqual(['k2', 'k1']);
  expect(requirePayloadKeys(config)[1]!.key.equals(Buffer.alloc(32, 1))).toBe(true);
  // The URL-safe alphabet is read too.
  expect(parsePayloadKeys(`k1:${Buffer.alloc(32, 0xfb).toString('base64url')}`)[0].key.equals(Buffer.alloc(32, 0xfb))).toBe(true);

  const short = Buffer.alloc(16, 3).toString('base64');
  const mistakes: [string, RegExp][] = [
    [`k1:${short}`, /PAYLOAD_KEYS: key "k1" is 16 bytes; AES-256 needs exactly 32 \(make one with openssl rand -base64 32\)/],
    ['k1:not base64!', /PAYLOAD_KEYS: key "k1" is not base64/],
    [key(1), /PAYLOAD_KEYS: entry 1 is not id:<base64 key>/],
    [`k1:${key(1)},k1:${key(2)}`, /PAYLOAD_KEYS: key id "k1" appears twice/],
    [`key one:${key(1)}`, /PAYLOAD_KEYS: entry 1: the key id "key one" must be 1 to 64 letters/],
    [`:${key(1)}`, /PAYLOAD_KEYS: entry 1: the key id "" must be/],
    [',', /PAYLOAD_KEYS: must name at least one key/],
  ];
  for (const [value, message] of mistakes) {
    let error: unknown;
    try {
      loadConfig({ PAYLOAD_KEYS: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(short);
  }
  expect(() => requirePayloadKeys(loadConfig({}))).toThrow(ConfigError);
  expect(() => requirePayloadKeys(loadConfig({ PAYLOAD_KEYS: '' }))).toThrow(/PAYLOAD_KEYS: is required/);
});
