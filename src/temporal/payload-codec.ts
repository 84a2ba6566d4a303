/**
 * What the engine hands Temporal is encrypted before it leaves the process: workflow and activity inputs and
 * results, signals, updates, queries, the journey state carried across continue-as-new, summaries, and failures'
 * messages and stack traces. The Temporal server, its database and its UI see ciphertext; only processes that
 * hold PAYLOAD_KEYS (the API, the workers, the CLI, and the API's codec endpoint for the Temporal UI) read it.
 *
 * An encrypted payload: metadata `encoding: binary/encrypted` and `encryption-key-id: <id>`; data is
 * `iv (12 random bytes) | AES-256-GCM ciphertext | authentication tag (16 bytes)`, and the plaintext is the whole
 * original payload as protobuf (its own metadata, such as `encoding: json/plain`, included), so decoding gives back
 * exactly what the SDK made. Search attributes are not payloads the codec sees (the server indexes them): they carry
 * ids and enums only (contracts/search-attributes.ts).
 *
 * Rotation: the key ring's first key encrypts; every key in it decrypts. Add a new key last everywhere, then move
 * it first (so no process meets a key it lacks); keep the old ones as long as histories written with them are kept
 * (the namespace's retention, and longer for running journeys: their first events stay in the current run until it
 * continues as new).
 *
 * Runs outside the workflow sandbox (client, worker's main thread, codec endpoint): node:crypto is fine here.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { CodecChain, ZlibCodec } from './compression-codec';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA_KEY = 'encryption-key-id';
const CIPHER = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** One key of the ring: its id (written beside each payload it encrypts) and its 32 bytes. */
export interface PayloadKey {
  id: string;
  key: Buffer;
}

/** The keys, the one that encrypts first. */
export type PayloadKeyRing = readonly [PayloadKey, ...PayloadKey[]];

/** A PAYLOAD_KEYS value that is not a key ring: the message says which entry and why (never the key itself). */
export class PayloadKeysError extends Error {}

/** A payload that cannot be decrypted: the message names its key id and why. */
export class PayloadDecryptionError extends ValueError {}

/** How the README and the errors tell people to make a key. */
export const MAKE_A_KEY = 'openssl rand -base64 32';

/**
 * Parses `id:<base64 of 32 bytes>,id:<base64>,...` (PAYLOAD_KEYS): the first key encrypts, all of them decrypt.
 * Throws PayloadKeysError naming the entry that is wrong and why.
 */
export function parsePayloadKeys(text: string): PayloadKeyRing {
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.every((entry) => entry === '')) {
    throw new PayloadKeysError(`must name at least one key as id:<base64 of 32 bytes>, e.g. k1:$(${MAKE_A_KEY})`);
  }
  const keys = entries.map((entry, i): PayloadKey => {
    const colon = entry.indexOf(':');
    if (colon < 0) throw new PayloadKeysError(`entry ${i + 1} is not id:<base64 key> (keys are separated by commas, e.g. k2:...,k1:...)`);
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) {
      throw new PayloadKeysError(`entry ${i + 1}: the key id "${id}" must be 1 to 64 letters, digits, ".", "_" or "-"`);
    }
    if (!BASE64.test(encoded)) throw new PayloadKeysError(`key "${id}" is not base64 (make one with ${MAKE_A_KEY})`);
    const key = Buffer.from(encoded, 'base64'); // Node reads the URL-safe alphabet too
    if (key.length !== KEY_BYTES) {
      throw new PayloadKeysError(`key "${id}" is ${key.length} bytes; AES-256 needs exactly ${KEY_BYTES} (make one with ${MAKE_A_KEY})`);
    }
    return { id, key };
  });
  const ids = keys.map((k) => k.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new PayloadKeysError(`key id "${twice}" appears twice: each key needs an id of its own`);
  return keys as unknown as PayloadKeyRing;
}

const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** AES-256-GCM over whole payloads with a key ring (see the top of this file). */
export class EncryptionCodec implements PayloadCodec {
  private readonly byId: ReadonlyMap<string, Buffer>;

  constructor(private readonly keys: PayloadKeyRing) {
    if (keys.length === 0) throw new PayloadKeysError('the key ring is empty');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((payload) => this.encodeOne(payload))));
  }

  /** Payloads another encoding made (plain JSON of histories from before encryption) come back as they are. */
  decode(payloads: Payload[]): Promise<Payload[]> {
    // A payload that cannot be decrypted rejects the promise (the executor's throw).
    return new Promise((resolve) => resolve(payloads.map((payload) => this.decodeOne(payload))));
  }

  private encodeOne(payload: Payload): Payload {
    const { id, key } = this.keys[0];
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    return {
      metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA_KEY]: Buffer.from(id) },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  private decodeOne(payload: Payload): Payload {
    if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
    const id = text(payload.metadata?.[KEY_ID_METADATA_KEY]);
    if (!id) throw new PayloadDecryptionError(`an encrypted payload has no ${KEY_ID_METADATA_KEY}: it was not written by this engine's codec`);
    const key = this.byId.get(id);
    if (!key) {
      throw new PayloadDecryptionError(
        `a payload is encrypted with key "${id}", which PAYLOAD_KEYS lacks (it holds ${[...this.byId.keys()].map((k) => `"${k}"`).join(', ')}): ` +
          `add that key back to the ring to read it`,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(`a payload encrypted with key "${id}" is ${data.length} bytes, too short to be one (cut off?)`);
    }
    const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(
        `a payload encrypted with key "${id}" fails authentication: it was altered, or "${id}" in PAYLOAD_KEYS is not the key that encrypted it`,
      );
    }
    const decoded = temporal.api.common.v1.Payload.decode(plain);
    return { metadata: decoded.metadata, data: decoded.data };
  }
}

/**
 * Loaded by the SDK in the client and the worker, and bundled into the workflow code (bundleWorkflowCode's
 * failureConverterPath), so failures made inside workflows are encoded too.
 */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/** The engine's codecs, in the order they encode: compressed (./compression-codec), then encrypted with the key ring. */
const journeyCodecs = (keys: PayloadKeyRing) => [new ZlibCodec(), new EncryptionCodec(keys)];

/**
 * The one data converter of every client and worker of the engine: payloads compressed and encrypted, and
 * failures' messages and stack traces moved into a payload (DefaultFailureConverter with encodeCommonAttributes),
 * so they are encrypted too. A failure's type (e.g. `InvalidAddress`) stays plain: it decides retries.
 */
export function journeyDataConverter(keys: PayloadKeyRing): DataConverter {
  return { payloadCodecs: journeyCodecs(keys), failureConverterPath: FAILURE_CONVERTER_PATH };
}

/** The same codecs as one, for the codec endpoint (what the Temporal UI shows) and tools that decode histories. */
export function journeyPayloadCodec(keys: PayloadKeyRing): PayloadCodec {
  return new CodecChain(journeyCodecs(keys));
}
