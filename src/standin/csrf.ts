// The form's token: an HMAC of client address, server and time bucket under a secret made at
// the first token this process issues or checks, so only a page this process served to this
// client for this server can be posted back, and only for a while (one to two buckets). A
// restart makes old pages' tokens invalid.
import { nodeCrypto } from '../node-crypto';

export class CsrfTokens {
  /** Drawn at first use: a stand-in that never served a page loads no node:crypto. */
  private secret: Buffer | null;

  constructor(
    /** Seconds per bucket; a token stays valid for 1 to 2 buckets. */
    private readonly bucketSeconds = 3600,
    secret: Buffer | null = null,
  ) {
    this.secret = secret;
  }

  issue(client: string, server: string, now: number): string {
    const bucket = Math.floor(now / this.bucketSeconds);
    return `${bucket}.${this.mac(client, server, bucket)}`;
  }

  check(token: string | null | undefined, client: string, server: string, now: number): boolean {
    if (typeof token !== 'string' || token.length > 100) return false;
    const m = /^([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return false;
    const bucket = Number(m[1]);
    const current = Math.floor(now / this.bucketSeconds);
    if (bucket !== current && bucket !== current - 1) return false;
    const want = Buffer.from(this.mac(client, server, bucket));
    const got = Buffer.from(m[2]);
    return want.length === got.length && nodeCrypto().timingSafeEqual(want, got);
  }

  private mac(client: string, server: string, bucket: number): string {
    this.secret ??= nodeCrypto().randomBytes(32);
    return nodeCrypto().createHmac('sha256', this.secret).update(`${client}|${server}|${bucket}`).digest('base64url');
  }
}
