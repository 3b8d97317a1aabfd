// The webhook signature (docs/WEBHOOKS.md): X-Backsoon-Signature: sha256=HEX, the HMAC-SHA256
// under the shared secret of "TIMESTAMP.BODY", where TIMESTAMP is X-Backsoon-Timestamp (Unix
// seconds) and BODY the raw request body. Signing the timestamp with the body lets a receiver
// refuse a captured request replayed later: it checks the signature, then the timestamp's age.
import { nodeCrypto } from '../node-crypto';

export const SIGNATURE_HEADER = 'X-Backsoon-Signature';
export const TIMESTAMP_HEADER = 'X-Backsoon-Timestamp';
/** How old a request a receiver should still take, seconds (the docs recommend this). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** "sha256=HEX" of `${timestamp}.${body}`. */
export function signWebhook(secret: string, timestamp: number, body: string | Buffer): string {
  const mac = nodeCrypto().createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(body);
  return `sha256=${mac.digest('hex')}`;
}

export interface SignatureCheck {
  readonly secret: string;
  /** The header values as received (undefined when missing). */
  readonly signature: string | undefined;
  readonly timestamp: string | undefined;
  /** The raw body bytes, exactly as received. */
  readonly body: string | Buffer;
  /** Unix seconds now. */
  readonly now: number;
  readonly toleranceSeconds?: number;
}

/** What a receiver does with a request: null when it is genuine and fresh, else why not. */
export function webhookSignatureProblem(check: SignatureCheck): string | null {
  if (check.timestamp === undefined || !/^\d{1,12}$/.test(check.timestamp)) return `missing or malformed ${TIMESTAMP_HEADER}`;
  if (check.signature === undefined || !/^sha256=[0-9a-f]{64}$/.test(check.signature)) return `missing or malformed ${SIGNATURE_HEADER}`;
  const expected = Buffer.from(signWebhook(check.secret, Number(check.timestamp), check.body));
  const given = Buffer.from(check.signature);
  if (expected.length !== given.length || !nodeCrypto().timingSafeEqual(expected, given)) return 'signature does not match (wrong secret, or the body was altered)';
  const age = check.now - Number(check.timestamp);
  const tolerance = check.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(age) > tolerance) return `timestamp is ${Math.round(age)} s off (more than ${tolerance} s): a replay, or a clock out of step`;
  return null;
}
