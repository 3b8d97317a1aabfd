import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyIndex } from '../../src/engine/key-index';
import { NIL, OutageTable, type Evicted } from '../../src/engine/outages';

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

test('KeyIndex refuses more keys than its capacity', () => {
  const index = new KeyIndex(3);
  index.set(1, 0, 0, 1); index.set(2, 0, 0, 2); index.set(3, 0, 0, 3);
  index.set(3, 0, 0, 4); // replacing is fine
  assert.throws(() => index.set(4, 0, 0, 5), /more than 3 keys/);
});

test('outage table: lists and free list partition the pool under 2 million random operations', () => {
  const table = new OutageTable({ servers: 16, links: 256, linksPerServer: 40 });
  const evicted: Evicted[] = [];
  const rnd = prng(42);
  const model = new Map<number, Set<number>>(); // server address -> clients
  let evictions = 0;
  for (let i = 0; i < 2_000_000; i++) {
    const server = 1000 + Math.floor(rnd() * 24);
    const op = rnd();
    let slot = table.findServer(server);
    if (op < 0.7) {
      if (slot === NIL) {
        slot = table.addServer(server, i, 0);
        if (slot === NIL) continue; // all 16 slots taken
        model.set(server, new Set());
      }
      const client = Math.floor(rnd() * 300);
      if (table.findLink(slot, client) !== NIL) {
        assert.ok(model.get(server)!.has(client));
        continue;
      }
      table.addLink(slot, client, i, 0, evicted);
      model.get(server)!.add(client);
      for (const e of evicted) {
        assert.ok(model.get(e.server)!.delete(e.client), 'evicted link was in the model');
        evictions++;
      }
      evicted.length = 0;
    } else if (op < 0.72 && slot !== NIL) {
      table.removeServer(slot);
      model.delete(server);
    } else if (op < 0.9 && slot !== NIL) {
      const link = table.serverFirst[slot];
      if (link !== NIL) {
        model.get(server)!.delete(table.linkClient[link]);
        table.removeLink(link);
      }
    }
    if (i % 50_000 === 0) assert.equal(table.checkInvariants(), [], `after ${i} operations`);
  }
  assert.equal(table.checkInvariants(), []);
  let total = 0;
  for (const [server, clients] of model) {
    total += clients.size;
    const slot = table.findServer(server);
    assert.is(table.serverLinks[slot], clients.size);
    for (const c of clients) assert.is.not(table.findLink(slot, c), NIL);
  }
  assert.is(table.linkCount, total);
  assert.ok(evictions > 0, 'the run exercised eviction');
});

test('outage table: the oldest registration goes first when the pool is full', () => {
  const table = new OutageTable({ servers: 2, links: 3, linksPerServer: 3 });
  const evicted: Evicted[] = [];
  const a = table.addServer(1, 0, 0);
  const b = table.addServer(2, 0, 0);
  table.addLink(a, 10, 1, 0, evicted);
  table.addLink(b, 20, 2, 0, evicted);
  table.addLink(a, 11, 3, 0, evicted);
  table.addLink(b, 21, 4, 0, evicted);
  assert.equal(evicted.map((e) => [e.server, e.client, e.reason]), [[1, 10, 'table-full']]);
  assert.is(table.findLink(a, 10), NIL);
  assert.is(table.linkCount, 3);
  assert.equal(table.checkInvariants(), []);
});

test('outage table: capacities below 1 are refused', () => {
  assert.throws(() => new OutageTable({ servers: 0, links: 1, linksPerServer: 1 }), /at least 1/);
});

test.run();
