import { deflateSync, inflateSync } from 'node:zlib';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { PayloadDecompressionError, ZLIB_ENCODING, ZlibCodec } from '../../src/temporal/compression-codec';
import { EncryptionCodec, ENCRYPTED_ENCODING, journeyPayloadCodec, parsePayloadKeys } from '../../src/temporal/payload-codec';
import { defaultMap } from '../helpers/fixtures';

const keys = parsePayloadKeys(`k1:${Buffer.alloc(32, 1).toString('base64')}`);
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const encodingOf = (payload: Payload) => text(payload.metadata?.[METADATA_ENCODING_KEY]);
const journeyInput = () => defaultPayloadConverter.toPayload({ customer: { customerId: 'acme', contact: { email: 'ana@acme.example' } }, map: defaultMap });

test('a journey input is stored as a third of its size or less, in the Go SDK ZlibCodec format, and reads back exactly', async () => {
  const codec = new ZlibCodec();
  const original = journeyInput();
  const [compressed] = await codec.encode([original]);
  expect(encodingOf(compressed!)).toBe(ZLIB_ENCODING);
  const plainBytes = temporal.api.common.v1.Payload.encode(original).finish();
  expect(compressed!.data!.length).toBeLessThan(plainBytes.length / 3);
  // The format: zlib over the whole original payload as protobuf, its own metadata included.
  expect(Buffer.from(inflateSync(compressed!.data!)).equals(Buffer.from(plainBytes))).toBe(true);

  const [decoded] = await codec.decode([compressed!]);
  expect(encodingOf(decoded!)).toBe('json/plain');
  expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(defaultPayloadConverter.fromPayload(original));
});

test('short payloads, and payloads that do not shrink, are kept as they are', async () => {
  const codec = new ZlibCodec();
  const short = defaultPayloadConverter.toPayload('acme');
  const noise = defaultPayloadConverter.toPayload(Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 7919) % 251)).toString('base64'));
  const [keptShort, keptNoise] = await codec.encode([short, noise]);
  expect(keptShort).toBe(short);
  // Random-looking text compresses a little (base64 is 6 bits a byte): what matters is it never grows.
  expect(temporal.api.common.v1.Payload.encode(keptNoise!).finish().length).toBeLessThanOrEqual(temporal.api.common.v1.Payload.encode(noise).finish().length);
});

test('payloads written before compression (plain, or encrypted alone) read as they always did', async () => {
  const older = await new EncryptionCodec(keys).encode([journeyInput()]);
  const [decoded] = await journeyPayloadCodec(keys).decode(older);
  expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(defaultPayloadConverter.fromPayload(journeyInput()));
  const plain = journeyInput();
  const [same] = await new ZlibCodec().decode([plain]);
  expect(same).toBe(plain);
});

test('the engine compresses, then encrypts: the ciphertext is of the compressed payload, and nothing of it is readable', async () => {
  const codec = journeyPayloadCodec(keys);
  const original = journeyInput();
  const [stored] = await codec.encode([original]);
  expect(encodingOf(stored!)).toBe(ENCRYPTED_ENCODING);
  expect(text(stored!.data)).not.toContain('ana@acme.example');
  const [encryptedOnly] = await new EncryptionCodec(keys).encode([original]);
  expect(stored!.data!.length).toBeLessThan(encryptedOnly!.data!.length / 2);
  const [decoded] = await codec.decode([stored!]);
  expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(defaultPayloadConverter.fromPayload(original));
});

test('a binary/zlib payload that is not zlib, or inflates past 4 MB, is refused with why', async () => {
  const zlibPayload = (data: Uint8Array): Payload => ({ metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ZLIB_ENCODING) }, data });
  const codec = new ZlibCodec();
  await expect(codec.decode([zlibPayload(Buffer.from('not zlib at all'))])).rejects.toThrow(PayloadDecompressionError);
  const bomb = zlibPayload(deflateSync(Buffer.alloc(5 * 1024 * 1024)));
  expect(bomb.data!.length).toBeLessThan(10_000);
  await expect(codec.decode([bomb])).rejects.toThrow(/cannot be inflated/);
});
