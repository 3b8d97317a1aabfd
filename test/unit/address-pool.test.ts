// The engine's address pool: one id per address of either family, reference-counted, found by
// IPv4 number or by 16 bytes where they lie, with a fixed capacity.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AddressPool, NO_ADDRESS } from '../../src/engine/address-pool';
import { parseIp } from '../../src/net/ip';
import { parseIPv4 } from '../../src/net/ipv4';
import { parseIPv6 } from '../../src/net/ipv6';

const v4 = (s: string): number => parseIPv4(s)!;
const v6 = (s: string): Uint8Array => parseIPv6(s)!;

function prng(seed: number): () => number {
  return () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

test('an IPv4 address is one id however it is asked for: number, IpAddress, or ::ffff:a.b.c.d bytes', () => {
  const pool = new AddressPool(8);
  const id = pool.acquireV4(v4('192.0.2.10'));
  assert.is(pool.findV4(v4('192.0.2.10')), id);
  assert.is(pool.find(parseIp('192.0.2.10')!), id);
  assert.is(pool.findBytes(v6('::ffff:192.0.2.10'), 0), id);
  assert.ok(pool.isV4(id));
  assert.is(pool.v4(id), v4('192.0.2.10'));
  assert.is(pool.format(id), '192.0.2.10');
  assert.is(pool.ip(id).text, '192.0.2.10');
  assert.is(pool.findV4(v4('192.0.2.11')), NO_ADDRESS);
});

test('an IPv6 address is found by its 16 bytes at any offset of a frame, without a copy', () => {
  const pool = new AddressPool(8);
  const frame = new Uint8Array(64);
  frame.set(v6('2001:db8::10'), 22);
  frame.set(v6('2001:db8::20'), 38);
  const a = pool.acquireBytes(frame, 22);
  const b = pool.acquireBytes(frame, 38);
  assert.is.not(a, b);
  assert.is(pool.findBytes(v6('2001:db8::10'), 0), a);
  assert.is(pool.find(parseIp('2001:db8::20')!), b);
  assert.not.ok(pool.isV4(a));
  assert.is(pool.format(a), '2001:db8::10');
  const out = new Uint8Array(16);
  pool.copyBytes(b, out, 0);
  assert.equal([...out], [...v6('2001:db8::20')]);
  assert.is(pool.findBytes(v6('2001:db8::30'), 0), NO_ADDRESS);
});

test('references: the last release frees the id, and a freed id is reused for the next address', () => {
  const pool = new AddressPool(2);
  const a = pool.acquireV4(1);
  assert.is(pool.acquireV4(1), a);
  pool.retain(a);
  assert.is(pool.references(a), 3);
  pool.release(a);
  pool.release(a);
  assert.is(pool.findV4(1), a, 'still held once');
  pool.release(a);
  assert.is(pool.findV4(1), NO_ADDRESS);
  assert.is(pool.size, 0);
  const b = pool.acquireV4(2);
  assert.is(b, a, 'the freed id comes back first');
  assert.equal(pool.checkInvariants(), []);
});

test('capacity: a full pool says so (NO_ADDRESS) and holds on to what it has', () => {
  const pool = new AddressPool(3);
  const ids = [pool.acquireV4(1), pool.acquireV4(2), pool.acquireBytes(v6('2001:db8::1'), 0)];
  assert.ok(ids.every((id) => id >= 0 && id < 3));
  assert.is(pool.acquireV4(4), NO_ADDRESS);
  assert.is(pool.acquireBytes(v6('2001:db8::2'), 0), NO_ADDRESS);
  assert.is(pool.acquireV4(2), ids[1], 'an address already there still gets a reference');
  assert.is(pool.size, 3);
  pool.release(ids[0]);
  assert.is.not(pool.acquireV4(4), NO_ADDRESS);
  assert.equal(pool.checkInvariants(), []);
});

test('agrees with a Map of reference counts under 500,000 random operations on both families', () => {
  const capacity = 200;
  const pool = new AddressPool(capacity);
  const model = new Map<string, { id: number; refs: number }>();
  const rnd = prng(9);
  const frame = new Uint8Array(40);
  const address = (): { key: string; acquire: () => number; find: () => number } => {
    const n = Math.floor(rnd() * 300);
    if (n < 150) {
      const a = 0xc0000200 + n * 7919;
      return { key: `4/${a >>> 0}`, acquire: () => pool.acquireV4(a), find: () => pool.findV4(a) };
    }
    const bytes = v6(`2001:db8:${(n * 31).toString(16)}::${n.toString(16)}`);
    const off = Math.floor(rnd() * 24);
    frame.fill(0xee);
    frame.set(bytes, off);
    return { key: `6/${[...bytes].join('.')}`, acquire: () => pool.acquireBytes(frame, off), find: () => pool.findBytes(frame, off) };
  };
  let full = 0;
  for (let i = 0; i < 500_000; i++) {
    const a = address();
    const held = model.get(a.key);
    const op = rnd();
    if (op < 0.5) {
      const id = a.acquire();
      if (held) { assert.is(id, held.id); held.refs++; }
      else if (model.size === capacity) { assert.is(id, NO_ADDRESS); full++; }
      else { assert.ok(id >= 0 && id < capacity); model.set(a.key, { id, refs: 1 }); }
    } else if (op < 0.95) {
      if (held) {
        pool.release(held.id);
        if (--held.refs === 0) model.delete(a.key);
      }
    } else {
      assert.is(a.find(), held ? held.id : NO_ADDRESS);
    }
    if (i % 25_000 === 0) {
      const refs = new Int32Array(capacity);
      for (const h of model.values()) refs[h.id] = h.refs;
      assert.equal(pool.checkInvariants(refs), [], `after ${i} operations`);
      assert.is(pool.size, model.size);
    }
  }
  assert.ok(full > 0, 'the run filled the pool');
  const ids = new Set([...model.values()].map((h) => h.id));
  assert.is(ids.size, model.size, 'no two addresses share an id');
});

test('after a burst of addresses the ones left keep their ids in a fresh index', () => {
  const pool = new AddressPool(10_000);
  const ids: number[] = [];
  for (let i = 0; i < 5000; i++) {
    ids.push(i % 2 === 0 ? pool.acquireV4((0x0a000000 + i) >>> 0) : pool.acquireBytes(v6(`2001:db8::${i.toString(16)}`), 0));
  }
  assert.is(pool.renewIfSparse(), 0, 'nothing gone yet');
  for (let i = 0; i < 5000; i++) if (i % 10 !== 0) pool.release(ids[i]);
  assert.is(pool.size, 500);
  assert.is(pool.renewIfSparse(), 16384 * 4, 'the old index (16,384 slots) is handed back');
  assert.is(pool.renewIfSparse(), 0, 'once per burst');
  assert.equal(pool.checkInvariants(), []);
  for (let i = 0; i < 5000; i++) {
    const found = i % 2 === 0 ? pool.findV4((0x0a000000 + i) >>> 0) : pool.findBytes(v6(`2001:db8::${i.toString(16)}`), 0);
    assert.is(found, i % 10 === 0 ? ids[i] : NO_ADDRESS, `address ${i}`);
  }
  for (let i = 0; i < 5000; i += 10) pool.release(ids[i]);
  assert.is(pool.size, 0);
  assert.equal(pool.checkInvariants(), []);
  assert.is(pool.acquireV4(0x0a000001), ids[4990], 'ids are reused as before (the last freed first)');
});

test('capacity below 1 is refused', () => {
  assert.throws(() => new AddressPool(0), /at least 1/);
});

test.run();
