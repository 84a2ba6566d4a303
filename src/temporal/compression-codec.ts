/**
 * Payloads are compressed before they are encrypted: a journey's input (its map and customer), the state it carries
 * into the next run and its activities' inputs are JSON that shrinks to a third, and every byte is kept in Temporal's
 * database for as long as the history is. The format is the Temporal Go SDK's ZlibCodec (`encoding: binary/zlib`,
 * data the zlib-compressed protobuf of the whole original payload), so other SDKs' tools can read it.
 *
 * A payload that does not get smaller (a short one, an id, `undefined`) stays as it was: decoding passes every
 * payload that is not `binary/zlib` through, so histories written before compression read as they always did.
 *
 * Compressing before encrypting lets a ciphertext's length depend on its plaintext. Whoever reads the history (the
 * Temporal operator) sees lengths, never content; to learn something from them, they would also have to place text
 * of their choosing in the same payload as a secret, many times over, and compare. The engine's payloads hold no
 * keys or secrets of its own (those stay in the processes' environment), so this is a trade we make for a history
 * a third the size.
 *
 * Runs outside the workflow sandbox (client, worker's main thread, codec endpoint): node:zlib is fine here.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ZLIB_ENCODING = 'binary/zlib';

/** Data shorter than this stays as it is: zlib's header and the deflate block cost about what they could save. */
const MIN_BYTES_TO_COMPRESS = 200;

/** Temporal refuses payloads over 2 MB; a `binary/zlib` payload that inflates past twice that is not one of ours. */
const MAX_INFLATED_BYTES = 4 * 1024 * 1024;

/**
 * A 4 KB window and less memory than zlib's default: most payloads are a few kilobytes, and this halves the time of
 * each call (mostly setting up the stream) for the same size. Any zlib reader inflates it (the header says so).
 */
const DEFLATE_OPTIONS = { windowBits: 12, memLevel: 5 };

/** A `binary/zlib` payload that cannot be inflated: cut off, or not zlib at all. */
export class PayloadDecompressionError extends ValueError {}

const encodingOf = (payload: Payload) => (payload.metadata?.[METADATA_ENCODING_KEY] ? Buffer.from(payload.metadata[METADATA_ENCODING_KEY]).toString('utf8') : undefined);

export class ZlibCodec implements PayloadCodec {
  encode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((payload) => this.encodeOne(payload))));
  }

  /** Payloads of other encodings (histories from before compression, short payloads) come back as they are. */
  decode(payloads: Payload[]): Promise<Payload[]> {
    // A payload that cannot be inflated rejects the promise (the executor's throw).
    return new Promise((resolve) => resolve(payloads.map((payload) => this.decodeOne(payload))));
  }

  private encodeOne(payload: Payload): Payload {
    // Most payloads are short (ids, signals, `undefined`): they are not serialized just to be measured.
    if ((payload.data?.length ?? 0) < MIN_BYTES_TO_COMPRESS) return payload;
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const compressed = deflateSync(plain, DEFLATE_OPTIONS);
    if (compressed.length >= plain.length) return payload;
    return { metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ZLIB_ENCODING) }, data: compressed };
  }

  private decodeOne(payload: Payload): Payload {
    if (encodingOf(payload) !== ZLIB_ENCODING) return payload;
    let plain: Buffer;
    try {
      plain = inflateSync(payload.data ?? new Uint8Array(), { maxOutputLength: MAX_INFLATED_BYTES });
    } catch (err) {
      throw new PayloadDecompressionError(`a ${ZLIB_ENCODING} payload cannot be inflated: ${(err as Error).message}`);
    }
    const decoded = temporal.api.common.v1.Payload.decode(plain);
    return { metadata: decoded.metadata, data: decoded.data };
  }
}

/** Several codecs as one (for the codec endpoint): encoded through each in order, decoded in reverse, as the SDK does. */
export class CodecChain implements PayloadCodec {
  constructor(private readonly codecs: readonly PayloadCodec[]) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    for (const codec of this.codecs) payloads = await codec.encode(payloads);
    return payloads;
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    for (const codec of [...this.codecs].reverse()) payloads = await codec.decode(payloads);
    return payloads;
  }
}
