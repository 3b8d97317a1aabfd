// Node's crypto module, required at first use. A router's daemon at rest hashes nothing: the
// stand-in's page and form tokens, webhook signatures, message ids and SNMPv3 engine ids are all
// made once there is something to serve or send, and the module with OpenSSL's tables behind it
// costs ~1 MiB of RSS once loaded (docs/PERFORMANCE.md, "Idle memory"). Types come from the module.
import type * as Crypto from 'node:crypto';

let crypto: typeof Crypto | null = null;

export function nodeCrypto(): typeof Crypto {
  return crypto ??= require('node:crypto') as typeof Crypto;
}
