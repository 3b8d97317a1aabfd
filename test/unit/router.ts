// The router's addresses as the engine takes them, for tests that feed it ICMP errors.
import { parseIp } from '../../src/net/ip';
import type { RouterAddress } from '../../src/engine/router-addresses';

/** Addresses as text (either family), without a MAC (only the IP source is checked). */
export function routerAddresses(...texts: string[]): RouterAddress[] {
  return texts.map((text) => {
    const address = parseIp(text);
    if (address === null) throw new Error(`routerAddresses: '${text}' is not an address`);
    return { address, mac: 0 };
  });
}
