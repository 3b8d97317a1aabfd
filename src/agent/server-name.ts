// The recovered server's name for the notices (P14, [0145]): its host name by reverse DNS; when
// that finds nothing, the name the router sent in the targets mail; else the address itself.
import { Resolver } from 'node:dns/promises';

export type NameSource = 'dns' | 'router' | 'address';

export interface ServerNameOptions {
  readonly enabled: boolean;
  /** "ADDRESS" or "ADDRESS:PORT"; empty: the system's resolvers. */
  readonly servers: readonly string[];
  /** ms per lookup (default 3000). */
  readonly timeoutMs?: number;
}

export type NameLookup = (address: string, routerName: string) => Promise<{ name: string; source: NameSource; detail?: string }>;

export function serverNameLookup(options: ServerNameOptions): NameLookup {
  const timeout = options.timeoutMs ?? 3000;
  // c-ares retries on its own; one try per lookup keeps a dead resolver from holding a poll long
  const resolver = new Resolver({ timeout, tries: 1 });
  if (options.servers.length > 0) resolver.setServers([...options.servers]);
  const fallback = (address: string, routerName: string) =>
    routerName !== '' && routerName !== address ? { name: routerName, source: 'router' as const } : { name: address, source: 'address' as const };
  return async (address, routerName) => {
    if (!options.enabled) return fallback(address, routerName);
    try {
      const names = await resolver.reverse(address);
      const name = names.find((n) => /^[A-Za-z0-9.-]{1,253}$/.test(n))?.replace(/\.$/, '');
      if (name !== undefined && name !== '') return { name, source: 'dns' };
      return { ...fallback(address, routerName), detail: 'no usable PTR record' };
    } catch (err) {
      return { ...fallback(address, routerName), detail: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
    }
  };
}
