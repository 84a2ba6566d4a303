import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failures with their message and stack trace moved into an encoded payload (encrypted by the payload codec):
 * an activity's error can name a customer's address. Bundled into the workflow code too, so it imports nothing
 * but the SDK's common module (see FAILURE_CONVERTER_PATH in payload-codec.ts).
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
