import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyIndex } from '../../src/engine/key-index';
import { AddressPool } from '../../src/engine/address-pool';
import { NIL, OutageTable } from '../../src/engine/outages';

/** A table whose rows take addresses as IPv4 numbers, interned in its own pool. */
function tableOf(capacity: { servers: number; links: number; linksPerServer: number }) {
  const pool = new AddressPool(capacity.servers + capacity.links + 4);
  const table = new OutageTable(capacity, pool);
  return {
    pool,
    table,
    findServer: (v4: number) => table.findServer(pool.findV4(v4)),
    addServer: (v4: number, t: number) => { const a = pool.acquireV4(v4); const slot = table.addServer(a, t, 0); pool.release(a); return slot; },
    findLink: (slot: number, v4: number) => table.findLink(slot, pool.findV4(v4)),
    /** Adds a link, first evicting what victimFor names; returns the evicted (server, client, reason) or null. */
    addLink(slot: number, v4: number, t: number): [number, number, string] | null {
      let evicted: [number, number, string] | null = null;
      const victim = table.victimFor(slot);
      if (victim !== NIL) {
        evicted = [pool.v4(table.serverAddr[table.linkServer[victim]]), pool.v4(table.linkClient[victim]), table.serverCapped(slot) ? 'server-cap' : 'table-full'];
        table.removeLink(victim);
      }
      const a = pool.acquireV4(v4);
      table.addLink(slot, a, t, 0);
      pool.release(a);
      return evicted;
    },
  };
}

function prng(seed: number): () => number {
  return () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

test('KeyIndex agrees with a Map under a million random sets and deletes', () => {
  const index = new KeyIndex(1000);
  const model = new Map<string, number>();
  const rnd = prng(1);
  for (let i = 0; i < 1_000_000; i++) {
    const a = Math.floor(rnd() * 40);
    const b = Math.floor(rnd() * 40) * 0x01000001;
    const c = rnd() < 0.5 ? 0 : 0xffffffff;
    const key = `${a}/${b >>> 0}/${c}`;
    const op = rnd();
    if (op < 0.45 && (model.size < 1000 || model.has(key))) {
      index.set(a, b, c, i);
      model.set(key, i);
    } else if (op < 0.8) {
      assert.is(index.delete(a, b, c), model.delete(key));
    } else {
      assert.is(index.get(a, b, c), model.get(key) ?? -1);
    }
  }
  assert.is(index.size, model.size);
  for (const [key, value] of model) {
    const [a, b, c] = key.split('/').map(Number);
    assert.is(index.get(a, b, c), value);
  }
});

test('KeyIndex after a burst: the keys left move to a fresh array, once, and every operation still agrees with a Map', () => {
  const index = new KeyIndex(8192);
  const model = new Map<number, number>();
  for (let i = 0; i < 6000; i++) { index.set(i, i ^ 0x5555, 7, i * 3); model.set(i, i * 3); }
  assert.is(index.renewIfSparse(), 0, 'all 6,000 keys are still there: not sparse');
  const rnd = prng(7);
  for (let i = 0; i < 6000; i++) {
    if (rnd() < 0.97) { assert.ok(index.delete(i, i ^ 0x5555, 7)); model.delete(i); }
  }
  assert.ok(model.size > 0 && model.size < 1500, `a burst gone: ${model.size} keys left`);
  assert.is(index.renewIfSparse(), 16384 * 4 * 4, 'the old array (16,384 slots of 16 bytes) is handed back');
  assert.is(index.renewIfSparse(), 0, 'once per burst');
  assert.is(index.size, model.size);
  for (let i = 0; i < 6000; i++) assert.is(index.get(i, i ^ 0x5555, 7), model.get(i) ?? -1, `key ${i}`);
  // The fresh array takes sets, replacements and deletes like the old one.
  for (let i = 0; i < 200_000; i++) {
    const k = Math.floor(rnd() * 9000);
    const op = rnd();
    if (op < 0.5 && (model.size < 8192 || model.has(k))) { index.set(k, k ^ 0x5555, 7, i); model.set(k, i); }
    else if (op < 0.8) assert.is(index.delete(k, k ^ 0x5555, 7), model.delete(k));
    else assert.is(index.get(k, k ^ 0x5555, 7), model.get(k) ?? -1);
  }
  assert.is(index.size, model.size);
});

test('KeyIndex refuses more keys than its capacity', () => {
  const index = new KeyIndex(3);
  index.set(1, 0, 0, 1); index.set(2, 0, 0, 2); index.set(3, 0, 0, 3);
  index.set(3, 0, 0, 4); // replacing is fine
  assert.throws(() => index.set(4, 0, 0, 5), /more than 3 keys/);
});

test('outage table: lists and free list partition the pool under 2 million random operations', () => {
  const t = tableOf({ servers: 16, links: 256, linksPerServer: 40 });
  const { table, pool } = t;
  const rnd = prng(42);
  const model = new Map<number, Set<number>>(); // server address -> clients
  let evictions = 0;
  for (let i = 0; i < 2_000_000; i++) {
    const server = 1000 + Math.floor(rnd() * 24);
    const op = rnd();
    let slot = t.findServer(server);
    if (op < 0.7) {
      if (slot === NIL) {
        slot = t.addServer(server, i);
        if (slot === NIL) continue; // all 16 slots taken
        model.set(server, new Set());
      }
      const client = Math.floor(rnd() * 300);
      if (t.findLink(slot, client) !== NIL) {
        assert.ok(model.get(server)!.has(client));
        continue;
      }
      const evicted = t.addLink(slot, client, i);
      model.get(server)!.add(client);
      if (evicted !== null) {
        assert.ok(model.get(evicted[0])!.delete(evicted[1]), 'evicted link was in the model');
        evictions++;
      }
    } else if (op < 0.72 && slot !== NIL) {
      table.removeServer(slot);
      model.delete(server);
    } else if (op < 0.9 && slot !== NIL) {
      const link = table.serverFirst[slot];
      if (link !== NIL) {
        model.get(server)!.delete(pool.v4(table.linkClient[link]));
        table.removeLink(link);
      }
    }
    if (i % 50_000 === 0) {
      assert.equal(table.checkInvariants(), [], `after ${i} operations`);
      const refs = new Int32Array(pool.capacity);
      table.countReferences(refs);
      assert.equal(pool.checkInvariants(refs), [], `pool after ${i} operations`);
    }
  }
  assert.equal(table.checkInvariants(), []);
  let total = 0;
  for (const [server, clients] of model) {
    total += clients.size;
    const slot = t.findServer(server);
    assert.is(table.serverLinks[slot], clients.size);
    for (const c of clients) assert.is.not(t.findLink(slot, c), NIL);
  }
  assert.is(table.linkCount, total);
  assert.ok(evictions > 0, 'the run exercised eviction');
  // Every address the pool holds is held by the table.
  assert.is(pool.size, new Set([...model.keys(), ...[...model.values()].flatMap((c) => [...c])]).size);
});

test('outage table: when the pool is full the newest unverified registration goes first', () => {
  const t = tableOf({ servers: 2, links: 3, linksPerServer: 3 });
  const a = t.addServer(1, 0);
  const b = t.addServer(2, 0);
  assert.is(t.addLink(a, 10, 1), null);
  assert.is(t.addLink(b, 20, 2), null);
  assert.is(t.addLink(a, 11, 3), null);
  assert.equal(t.addLink(b, 21, 4), [1, 11, 'table-full']);
  assert.equal(t.addLink(b, 22, 5), [2, 21, 'table-full']);
  assert.is(t.findLink(a, 10), 0);
  assert.is(t.table.linkCount, 3);
  assert.equal(t.table.checkInvariants(), []);
});

test('outage table: verified registrations go only when no unverified one is left, oldest first', () => {
  const t = tableOf({ servers: 2, links: 4, linksPerServer: 4 });
  const a = t.addServer(1, 0);
  const b = t.addServer(2, 0);
  t.addLink(a, 10, 1);
  t.addLink(a, 11, 2);
  t.addLink(b, 20, 3);
  t.addLink(b, 21, 4);
  t.table.verify(t.findLink(a, 11));
  t.table.verify(t.findLink(a, 10));
  assert.equal(t.table.checkInvariants(), []);
  // 20 and 21 unverified: newest first; then the verified ones in the order they were verified.
  assert.equal(t.addLink(b, 30, 5), [2, 21, 'table-full']);
  assert.equal(t.addLink(b, 31, 6), [2, 30, 'table-full']);
  assert.equal(t.addLink(b, 32, 7), [2, 31, 'table-full']);
  t.table.verify(t.findLink(b, 20));
  t.table.verify(t.findLink(b, 32));
  assert.equal(t.addLink(a, 12, 8), [1, 11, 'table-full']);
  t.table.verify(t.findLink(a, 12));
  assert.equal(t.addLink(a, 13, 9), [1, 10, 'table-full']);
  assert.equal(t.table.checkInvariants(), []);
});

test("outage table: at a server's cap its own newest unverified client goes, else its oldest", () => {
  const t = tableOf({ servers: 2, links: 10, linksPerServer: 3 });
  const a = t.addServer(1, 0);
  const b = t.addServer(2, 0);
  t.addLink(b, 90, 0); // another server's unverified client is never taken for a's cap
  t.addLink(a, 10, 1);
  t.addLink(a, 11, 2);
  t.addLink(a, 12, 3);
  t.table.verify(t.findLink(a, 10));
  assert.equal(t.addLink(a, 13, 4), [1, 12, 'server-cap']);
  assert.equal(t.addLink(a, 14, 5), [1, 13, 'server-cap']);
  t.table.verify(t.findLink(a, 11));
  t.table.verify(t.findLink(a, 14));
  assert.equal(t.addLink(a, 15, 6), [1, 10, 'server-cap']);
  assert.ok(t.findLink(b, 90) !== NIL);
  assert.equal(t.table.checkInvariants(), []);
});

test('outage table: random adds, verifies and removes keep every list sound', () => {
  const t = tableOf({ servers: 4, links: 64, linksPerServer: 24 });
  const rnd = prng(7);
  const slots = [1, 2, 3, 4].map((s) => t.addServer(s, 0));
  for (let i = 0; i < 20_000; i++) {
    const slot = slots[Math.floor(rnd() * 4)];
    const client = 1000 + Math.floor(rnd() * 200);
    const link = t.findLink(slot, client);
    const op = rnd();
    if (link === NIL) t.addLink(slot, client, i);
    else if (op < 0.4) t.table.verify(link);
    else if (op < 0.6) t.table.removeLink(link);
    if (i % 997 === 0) assert.equal(t.table.checkInvariants(), [], `after step ${i}`);
  }
  assert.equal(t.table.checkInvariants(), []);
});

test('outage table: adding without room is a caller error, not a silent overwrite', () => {
  const t = tableOf({ servers: 1, links: 4, linksPerServer: 1 });
  const a = t.addServer(1, 0);
  t.addLink(a, 10, 1);
  const id = t.pool.acquireV4(11);
  assert.throws(() => t.table.addLink(a, id, 2, 0), /no room/);
  assert.equal(t.table.checkInvariants(), []);
});

test('outage table: capacities below 1 are refused', () => {
  assert.throws(() => new OutageTable({ servers: 0, links: 1, linksPerServer: 1 }, new AddressPool(4)), /at least 1/);
});

test.run();
