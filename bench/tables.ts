// ns/op of the outage table at 64 k links: insert (with the P5 duplicate check), lookup, free;
// next to a plain Map-of-Sets doing the same bookkeeping, measured in the same run. The table's
// figures include interning the client address in the address pool, as the engine does.
import { AddressPool } from '../src/engine/address-pool';
import { NIL, OutageTable } from '../src/engine/outages';

const LINKS = 65536;
const SERVERS = 256;
const ROUNDS = 20;

function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start);
}

function benchTable() {
  const pool = new AddressPool(SERVERS + LINKS + 8);
  const table = new OutageTable({ servers: SERVERS, links: LINKS, linksPerServer: LINKS }, pool);
  const slots = new Int32Array(SERVERS);
  let insert = 0, lookup = 0, free = 0, hits = 0;
  for (let r = 0; r < ROUNDS; r++) {
    for (let s = 0; s < SERVERS; s++) {
      const id = pool.acquireV4(0xc6336400 + s);
      slots[s] = table.addServer(id, r, 0);
      pool.release(id);
    }
    insert += time(() => {
      for (let i = 0; i < LINKS; i++) {
        const slot = slots[i & (SERVERS - 1)];
        const client = pool.acquireV4(0xc0000200 + i);
        if (table.findLink(slot, client) === NIL && table.victimFor(slot) === NIL) table.addLink(slot, client, r, 0);
        pool.release(client);
      }
    });
    lookup += time(() => {
      for (let i = 0; i < LINKS; i++) if (table.findLink(slots[i & (SERVERS - 1)], pool.findV4(0xc0000200 + i)) !== NIL) hits++;
    });
    free += time(() => { for (let s = 0; s < SERVERS; s++) table.removeServer(slots[s]); });
  }
  if (hits !== LINKS * ROUNDS || pool.size !== 0) throw new Error('bench table: wrong results');
  const n = LINKS * ROUNDS;
  return { insert: insert / n, lookup: lookup / n, free: free / n };
}

function benchMap() {
  let insert = 0, lookup = 0, free = 0, hits = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const servers = new Map<number, Map<number, { first: number; last: number }>>();
    for (let s = 0; s < SERVERS; s++) servers.set(0xc6336400 + s, new Map());
    insert += time(() => {
      for (let i = 0; i < LINKS; i++) {
        const clients = servers.get(0xc6336400 + (i & (SERVERS - 1)))!;
        const client = 0xc0000200 + i;
        if (!clients.has(client)) clients.set(client, { first: r, last: r });
      }
    });
    lookup += time(() => {
      for (let i = 0; i < LINKS; i++) if (servers.get(0xc6336400 + (i & (SERVERS - 1)))!.has(0xc0000200 + i)) hits++;
    });
    free += time(() => { for (let s = 0; s < SERVERS; s++) servers.delete(0xc6336400 + s); });
  }
  if (hits !== LINKS * ROUNDS) throw new Error('bench map: wrong results');
  const n = LINKS * ROUNDS;
  return { insert: insert / n, lookup: lookup / n, free: free / n };
}

export function runTableBench(): string {
  benchTable(); benchMap(); // warm up both
  const t = benchTable();
  const m = benchMap();
  const row = (name: string, a: number, b: number) =>
    `| ${name.padEnd(22)} | ${a.toFixed(1).padStart(8)} | ${b.toFixed(1).padStart(13)} | ${(b / a).toFixed(2).padStart(5)}x |`;
  return [
    `Outage table at ${LINKS} links over ${SERVERS} servers (ns/op, ${ROUNDS} rounds)`,
    '',
    '| operation              | backsoon | Map of Maps   | ratio |',
    '|------------------------|---------:|--------------:|------:|',
    row('insert (+ dup check)', t.insert, m.insert),
    row('lookup (server,client)', t.lookup, m.lookup),
    row('free (per link)', t.free, m.free),
    '',
    `backsoon table memory is fixed at start; the Map grows with traffic.`,
  ].join('\n');
}

if (require.main === module) console.log(runTableBench());
