// Host names from dnsmasq's lease file (OpenWrt: /tmp/dhcp.leases), for the policy's
// contactFor(client.hostname). Read again only when the file changes.
import { readFileSync, statSync } from 'node:fs';

export class DhcpLeases {
  private byAddress = new Map<string, string>();
  private mtime = -1;

  constructor(private readonly file: string) {}

  /** The host name a client gave in its DHCP request, if any. */
  hostname(address: string): string | undefined {
    this.refresh();
    return this.byAddress.get(address);
  }

  /** The host name of the first of a device's addresses that has one. */
  hostnameOfAny(addresses: readonly string[]): string | undefined {
    for (const address of addresses) {
      const name = this.hostname(address);
      if (name !== undefined) return name;
    }
    return undefined;
  }

  private refresh(): void {
    let mtime: number;
    try { mtime = statSync(this.file).mtimeMs; } catch { this.byAddress.clear(); this.mtime = -1; return; }
    if (mtime === this.mtime) return;
    this.mtime = mtime;
    const next = new Map<string, string>();
    // "EXPIRY MAC IP HOSTNAME CLIENT-ID"; a host name of "*" means none was given.
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      const [, , ip, name] = line.trim().split(/\s+/);
      if (ip && name && name !== '*' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) next.set(ip, name);
    }
    this.byAddress = next;
  }
}
