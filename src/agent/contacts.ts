// The agent's own table of client -> mail address (the patent's table 35 on the server, 55 on
// the management station): the config contact sections of its configuration file plus an
// optional plain file of "ADDRESS MAIL" lines, ADDRESS being an IPv4 or a MAC address.
import { readFileSync } from 'node:fs';
import type { ContactConfig } from '../config/types';
import { formatIPv4, parseIPv4 } from '../net/ipv4';
import { formatMac, parseMac } from '../net/mac';
import { mailAddressProblem } from '../notify/mail-address';

export class MapFileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'MapFileError';
  }
}

export class AgentContacts {
  private readonly byClient = new Map<string, string>();
  private readonly byMac = new Map<string, string>();

  /** Contacts from the configuration first; the map file may not repeat a client. */
  constructor(contacts: readonly ContactConfig[], mapFile: { file: string; text: string } | null = null) {
    for (const c of contacts) {
      if (c.client !== null) this.byClient.set(formatIPv4(c.client), c.mail);
      if (c.mac !== null) this.byMac.set(formatMac(c.mac), c.mail);
    }
    if (mapFile !== null) this.readMapFile(mapFile.file, mapFile.text);
  }

  get size(): number {
    return this.byClient.size + this.byMac.size;
  }

  /** The address for a client, by its IPv4 address first, then by its MAC. */
  lookup(client: string, mac?: string): string | undefined {
    return this.byClient.get(client) ?? (mac !== undefined ? this.byMac.get(mac.toLowerCase()) : undefined);
  }

  private readMapFile(file: string, text: string): void {
    const problems: string[] = [];
    const fromFile = new Map<string, number>();
    text.split(/\r?\n/).forEach((raw, index) => {
      const line = raw.replace(/#.*$/, '').trim();
      if (line === '') return;
      const at = `${file}:${index + 1}`;
      const words = line.split(/\s+/);
      if (words.length !== 2) {
        problems.push(`${at}: write one 'ADDRESS MAIL' pair per line, such as '192.0.2.7 alice@example.org'`);
        return;
      }
      const [address, mail] = words;
      const ip = parseIPv4(address);
      const mac = ip === null ? parseMac(address) : null;
      if (ip === null && mac === null) {
        problems.push(`${at}: '${address}' is neither an IPv4 address (192.0.2.7) nor a MAC address (02:00:5e:10:00:01)`);
        return;
      }
      const mailProblem = mailAddressProblem(mail);
      if (mailProblem !== null) {
        problems.push(`${at}: mail address '${mail}' ${mailProblem}`);
        return;
      }
      const key = ip !== null ? formatIPv4(ip) : formatMac(mac!);
      const table = ip !== null ? this.byClient : this.byMac;
      const earlier = fromFile.get(key);
      if (earlier !== undefined) {
        problems.push(`${at}: ${key} is already given at line ${earlier}; one line per client`);
        return;
      }
      if (table.has(key)) {
        problems.push(`${at}: ${key} also has a config contact section; give it in one place`);
        return;
      }
      fromFile.set(key, index + 1);
      table.set(key, mail);
    });
    if (problems.length > 0) throw new MapFileError(problems);
  }
}

/** Reads the map file; throws MapFileError (every problem, with file:line) or an error naming the file. */
export function loadContacts(contacts: readonly ContactConfig[], mapFile: string | null): AgentContacts {
  if (mapFile === null) return new AgentContacts(contacts);
  let text: string;
  try {
    text = readFileSync(mapFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MapFileError([`${mapFile}: cannot read the map file (option map_file): ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`]);
  }
  return new AgentContacts(contacts, { file: mapFile, text });
}
