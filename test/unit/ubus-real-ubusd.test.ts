// src/ubus against OpenWrt's own ubusd and ubus CLI (make openwrt-host; the tests fail with
// that command when they are missing): registration as `ubus list -v` shows it, blobmsg both
// ways through `ubus call`, `ubus send` and `ubus listen`, ubusd restarts, and malformed input,
// both through the real ubusd and from a stand-in peer that sends what ubusd never would.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BlobWriter } from '../../src/ubus/blob';
import { double, int16, int32, int64, int8, type BlobmsgTable } from '../../src/ubus/blobmsg';
import { UbusClient, type UbusObjectSpec } from '../../src/ubus/client';
import { UbusConnection } from '../../src/ubus/connection';
import { Attr, encodeMessage, FrameReader, MsgType, parseMessage, UbusStatus, type UbusMessage } from '../../src/ubus/wire';
import { atExit } from '../at-exit';
import { Ubusd, until } from '../ubusd';

const logged: string[] = [];
const log = (level: string, message: string) => { logged.push(`${level}: ${message}`); };
const received: BlobmsgTable[] = [];

const WIDTHS = {
  falseByte: int8(0), trueByte: int8(1), int16min: int16(-32768), int16max: int16(32767),
  int32min: int32(-2147483648), int32max: int32(2147483647), int64min: int64(-(2n ** 63n)), int64max: int64(2n ** 63n - 1n),
  tenth: double(0.1), negative: double(-2.5), whole: double(3),
};

const testObject: UbusObjectSpec = {
  path: 'bs-test',
  methods: [
    { name: 'echo', args: { text: 3, count: 5, flag: 7, list: 1, table: 2 }, handle: (args) => { received.push(args); return { data: args }; } },
    { name: 'widths', handle: () => ({ data: WIDTHS }) },
    { name: 'big', handle: () => ({ data: { rows: Array.from({ length: 12_000 }, (_, i) => ({ i, client: `192.0.2.${i % 250}`, at: 1750000000.5 + i })) } }) },
    { name: 'refuse', handle: () => ({ status: UbusStatus.notSupported, data: { error: 'refused, as asked' } }) },
    { name: 'slow', handle: () => new Promise((resolve) => setTimeout(() => resolve({ data: { waited: true } }), 50)) },
    { name: 'throws', handle: () => { throw new Error('a bug in a handler'); } },
  ],
};

function client(socket: string, events: [string, BlobmsgTable][] | null = []): UbusClient {
  return new UbusClient({
    socket, objects: [testObject], log, retryFirstMs: 50, retryMaxMs: 200,
    listeners: events === null ? [] : [{ pattern: 'bs.in.*', handle: (id, data) => { events.push([id, data]); } }],
  });
}

async function withBus(body: (u: Ubusd, c: UbusClient, events: [string, BlobmsgTable][]) => Promise<void>): Promise<void> {
  const u = await Ubusd.start();
  const events: [string, BlobmsgTable][] = [];
  const c = client(u.socket, events);
  try {
    c.start();
    assert.ok(await c.whenReady(), `not registered: ${logged.join('\n')}`);
    await body(u, c, events);
  } finally {
    c.stop();
    await u.stop();
  }
}

test('real ubusd: the object and its method signatures as `ubus list -v` shows them', async () => {
  await withBus(async (u) => {
    const r = await u.cli('list', '-v', 'bs-test');
    assert.is(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^'bs-test' @[0-9a-f]{8}$/);
    assert.equal(lines.slice(1).map((l) => l.trim()), [
      '"echo":{"text":"String","count":"Integer","flag":"Boolean","list":"Array","table":"Table"}',
      '"widths":{}', '"big":{}', '"refuse":{}', '"slow":{}', '"throws":{}',
    ]);
  });
});

test('real ubusd: blobmsg both ways through `ubus call`: what the CLI encodes we read, what we encode it prints', async () => {
  await withBus(async (u) => {
    const args = {
      text: 'quotes " and \\ backslash, a\nnew line, tab\t, grüße 日本 🙂', empty: '', count: -42, zero: 0,
      int32max: 2147483647, int32min: -2147483648, beyond32: 4294967296, negative64: -1099511627776,
      flag: true, off: false, nothing: null, half: 2.5, eighth: -0.125,
      list: [1, 'two', [3, [4, []]], { five: 5 }, true, null], table: { a: { b: { c: { d: { e: 'deep' } } } } },
      emptyTable: {}, emptyList: [], long: 'x'.repeat(100_000),
    };
    received.length = 0;
    assert.equal(await u.call('bs-test', 'echo', args), args);
    assert.equal(received, [args], 'decoded as JSON has it: int32 and int64 as numbers, int8 as booleans');
  });
});

test('real ubusd: ints of each width, booleans and doubles as the ubus CLI prints them', async () => {
  await withBus(async (u) => {
    const r = await u.cli('call', 'bs-test', 'widths');
    assert.is(r.code, 0, r.stderr);
    // int8 prints as a boolean; doubles with six decimals (libubox's "%lf").
    assert.match(r.stdout, /"int64min": -9223372036854775808,/);
    assert.match(r.stdout, /"int64max": 9223372036854775807,/);
    assert.match(r.stdout, /"tenth": 0\.100000,/);
    const printed = JSON.parse(r.stdout.replace(/-?9223372036854775\d{3}/g, (n) => `"${n}"`));
    assert.equal(printed, {
      falseByte: false, trueByte: true, int16min: -32768, int16max: 32767, int32min: -2147483648, int32max: 2147483647,
      int64min: '-9223372036854775808', int64max: '9223372036854775807', tenth: 0.1, negative: -2.5, whole: 3,
    });
  });
});

test('real ubusd: a reply of 700 KB in one message', async () => {
  await withBus(async (u) => {
    const data = await u.call('bs-test', 'big') as { rows: { i: number; client: string; at: number }[] };
    assert.is(data.rows.length, 12_000);
    assert.equal(data.rows[11_999], { i: 11_999, client: '192.0.2.249', at: 1750012000 - 0.5 });
  });
});

test('real ubusd: an unknown method, a refusal with data, a slow answer, a handler that throws', async () => {
  await withBus(async (u, c) => {
    const unknown = await u.cli('call', 'bs-test', 'nosuch');
    assert.is(unknown.code, 256 - UbusStatus.methodNotFound);
    assert.match(unknown.stderr, /Command failed: ubus call bs-test nosuch \(Method not found\)/);
    const refused = await u.cli('call', 'bs-test', 'refuse');
    assert.is(refused.code, 256 - UbusStatus.notSupported);
    assert.equal(JSON.parse(refused.stdout), { error: 'refused, as asked' }, 'the data comes before the status');
    assert.equal(await u.call('bs-test', 'slow'), { waited: true });
    const thrown = await u.cli('call', 'bs-test', 'throws');
    assert.is(thrown.code, 256 - UbusStatus.unknownError);
    assert.equal(JSON.parse(thrown.stdout), { error: 'a bug in a handler' });
    assert.ok(logged.some((l) => /error: ubus: bs-test\.throws: Error: a bug in a handler/.test(l)));
    assert.equal(await u.call('bs-test', 'echo', { text: 'still here' }), { text: 'still here' });
    const s = c.stats();
    assert.equal([s.calls, s.callErrors, s.malformed], [5, 3, 0]);
  });
});

test('real ubusd: a client retired inside a call (a reload that moves ubus_socket) answers it, then leaves the bus', async () => {
  const u = await Ubusd.start();
  let moving: UbusClient | null = null;
  const mover = new UbusClient({
    socket: u.socket, log, retryFirstMs: 50, retryMaxMs: 200,
    objects: [{
      path: 'bs-move',
      methods: [{
        name: 'reload',
        handle: () => {
          moving!.retire();
          return new Promise((resolve) => setTimeout(() => resolve({ data: { reloaded: true } }), 50));
        },
      }],
    }],
  });
  moving = mover;
  try {
    mover.start();
    assert.ok(await mover.whenReady(), `not registered: ${logged.join('\n')}`);
    assert.equal(await u.call('bs-move', 'reload'), { reloaded: true }, 'the caller gets its answer');
    let listed = 0;
    for (const end = Date.now() + 5000; Date.now() < end && (listed = (await u.cli('list', 'bs-move')).code) === 0;) await new Promise((r) => setTimeout(r, 50));
    assert.is.not(listed, 0, 'the retired client left the bus');
    await new Promise((r) => setTimeout(r, 400)); // retries come every 50-200 ms
    assert.is.not((await u.cli('list', 'bs-move')).code, 0, 'and does not connect again');
  } finally {
    mover.stop();
    await u.stop();
  }
});

test('real ubusd: our events reach `ubus listen`; `ubus send` events reach our listener', async () => {
  await withBus(async (u, c, events) => {
    const listen = await u.listen('backsoon.*');
    try {
      assert.ok(c.sendEvent('backsoon.down', { server: '2001:db8::10', cause: 'syn-timeout', since: 1750000000.25, flap: false }));
      assert.ok(c.sendEvent('backsoon.recovered', { server: '198.51.100.10', told: 3 }));
      assert.ok(c.sendEvent('other.event', { not: 'heard' }));
      await until('two events', () => listen.events.length >= 2);
      assert.equal(listen.events, [
        { id: 'backsoon.down', data: { server: '2001:db8::10', cause: 'syn-timeout', since: 1750000000.25, flap: false } },
        { id: 'backsoon.recovered', data: { server: '198.51.100.10', told: 3 } },
      ]);
    } finally {
      listen.stop();
    }
    const sent = await u.cli('send', 'bs.in.hello', JSON.stringify({ n: 5, big: 8589934592, ok: true, list: [1.5, 'x'], t: {} }));
    assert.is(sent.code, 0, sent.stderr);
    await until('the event', () => events.length > 0);
    assert.equal(events, [['bs.in.hello', { n: 5, big: 8589934592, ok: true, list: [1.5, 'x'], t: {} }]]);
    assert.is(c.stats().eventsReceived, 1);
  });
});

test('real ubusd: ubusd killed and started again: the object comes back by itself; events in between are dropped and counted', async () => {
  await withBus(async (u, c) => {
    await u.crash();
    await until('the client to notice', () => !c.isReady);
    assert.is(c.sendEvent('backsoon.down', { server: '198.51.100.1' }), false);
    await new Promise((r) => setTimeout(r, 300)); // procd waits before it respawns
    await u.restart();
    assert.ok(await c.whenReady(), logged.slice(-3).join('\n'));
    await u.waitForObject('bs-test');
    assert.equal(await u.call('bs-test', 'echo', { text: 'back' }), { text: 'back' });
    const listen = await u.listen('backsoon.*');
    c.sendEvent('backsoon.recovered', { server: '198.51.100.1' });
    await until('the event after the restart', () => listen.events.length === 1);
    listen.stop();
    const s = c.stats();
    assert.equal([s.connected, s.registrations, s.eventsDropped], [1, 2, 1]);
    assert.ok(s.disconnects >= 1);
    assert.ok(logged.some((l) => /warn: ubus: lost the connection to ubusd at .*; reconnecting/.test(l)));
    assert.ok(logged.some((l) => /info: ubus: reconnected to .* after [\d.]+ s; object bs-test registered again/.test(l)));
  });
});

test('real ubusd: a client started before ubusd registers once ubusd is there', async () => {
  const u = await Ubusd.start();
  await u.crash();
  const c = client(u.socket);
  try {
    c.start();
    await new Promise((r) => setTimeout(r, 150));
    assert.is(c.isReady, false);
    await u.restart();
    assert.ok(await c.whenReady());
    await u.waitForObject('bs-test');
  } finally {
    c.stop();
    await u.stop();
  }
});

test('real ubusd: a call whose data is not valid blobmsg is answered "invalid argument", counted, and nothing else changes', async () => {
  await withBus(async (u, c) => {
    const id = parseInt(/@([0-9a-f]{8})/.exec((await u.cli('list', '-v', 'bs-test')).stdout)![1], 16);
    // A raw client of our own, writing what libubus never would: ubusd passes the data on as it is.
    const closed: string[] = [];
    let conn: UbusConnection | null = null;
    await new Promise<void>((resolve) => {
      conn = new UbusConnection(u.socket, { ready: () => resolve(), message: () => {}, malformed: () => {}, closed: (why) => closed.push(why) }, 5000);
    });
    const raw = conn! as UbusConnection;
    const badData = (fill: (w: BlobWriter) => void) => raw.request(MsgType.invoke, id, (w) => {
      w.putU32(Attr.objId, id);
      w.putString(Attr.method, 'echo');
      w.open(Attr.data);
      fill(w);
      w.close();
    });
    const cases: ((w: BlobWriter) => void)[] = [
      (w) => { w.open(3, true); w.u16(1); w.bytes(Uint8Array.of(0x74, 0)); w.pad(); w.bytes(Uint8Array.of(0x61, 0x62)); w.close(); }, // string without NUL
      (w) => { w.open(5); w.u32(1); w.close(); }, // no name
      (w) => { w.open(12, true); w.u16(1); w.bytes(Uint8Array.of(0x74, 0)); w.pad(); w.close(); }, // unknown type
    ];
    for (const fill of cases) {
      const reply = await badData(fill);
      assert.is(reply.status, UbusStatus.invalidArgument);
      const m = reply.data[0];
      assert.ok(m?.data, 'the reason comes as data');
    }
    raw.close();
    const s = c.stats();
    assert.equal([s.malformed, s.callErrors, s.connected], [3, 3, 1]);
    assert.equal(await u.call('bs-test', 'echo', { text: 'unharmed' }), { text: 'unharmed' });
    assert.ok(logged.some((l) => /warn: ubus: dropped echo from client [0-9a-f]+: its data is malformed/.test(l)));
  });
});

// ---- a stand-in for ubusd that sends what ubusd never would ----------------------------------

/** Mock of ubusd: says hello, registers objects as ubusd does, and lets the test write raw frames. */
class MockUbusd {
  readonly server: Server;
  readonly connections: Socket[] = [];
  readonly fromClient: UbusMessage[] = [];
  /** What a new connection hears first; ubusd says hello. */
  greeting = () => encodeMessage(MsgType.hello, 0, 0x1000 + this.connections.length, () => {});
  static readonly OBJECT_ID = 0x2a2a2a2a;

  constructor(readonly path: string) {
    this.server = createServer((socket) => {
      this.connections.push(socket);
      socket.on('error', () => {});
      const reader = new FrameReader();
      socket.write(this.greeting());
      socket.on('data', (chunk: Buffer) => {
        reader.push(chunk);
        for (let f; (f = reader.next()) !== null;) {
          const m = parseMessage(f);
          this.fromClient.push(m);
          if (m.type === MsgType.addObject) {
            socket.write(encodeMessage(MsgType.data, m.seq, m.peer, (w) => w.putU32(Attr.objId, MockUbusd.OBJECT_ID)));
            socket.write(encodeMessage(MsgType.status, m.seq, m.peer, (w) => w.putU32(Attr.status, 0)));
          }
        }
      });
    });
  }

  get last(): Socket {
    return this.connections[this.connections.length - 1];
  }

  invoke(seq: number, method: string, fillData: (w: BlobWriter) => void): Uint8Array {
    return encodeMessage(MsgType.invoke, seq, 0x77, (w) => {
      w.putU32(Attr.objId, MockUbusd.OBJECT_ID);
      w.putString(Attr.method, method);
      w.open(Attr.data);
      fillData(w);
      w.close();
    });
  }

  /** Waits for the client's next connection after `write` (which should make it reconnect). */
  async reconnectAfter(write: () => void): Promise<void> {
    const before = this.connections.length;
    write();
    await until('a new connection', () => this.connections.length > before);
  }
}

async function withMock(body: (mock: MockUbusd, c: UbusClient) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bs-mock-ubusd-'));
  const forget = atExit(() => rmSync(dir, { recursive: true, force: true }));
  const mock = new MockUbusd(join(dir, 'mock.sock'));
  await new Promise<void>((resolve) => mock.server.listen(mock.path, resolve));
  const c = client(mock.path, null); // the mock answers no event registration
  try {
    c.start();
    assert.ok(await c.whenReady());
    await body(mock, c);
  } finally {
    c.stop();
    for (const s of mock.connections) s.destroy();
    mock.server.close();
    forget();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('mock ubusd: malformed frames are counted and dropped; the connection and the object stay', async () => {
  await withMock(async (mock, c) => {
    const answers = () => mock.fromClient.filter((m) => m.type === MsgType.status && m.peer === 0x77);
    // An object id of 2 bytes; a method without its NUL; data that is not blobmsg; an unknown type.
    mock.last.write(encodeMessage(MsgType.invoke, 1, 0x77, (w) => { w.put(Attr.objId, Uint8Array.of(0x2a, 0x2a)); w.putString(Attr.method, 'echo'); }));
    mock.last.write(encodeMessage(MsgType.invoke, 2, 0x77, (w) => { w.putU32(Attr.objId, MockUbusd.OBJECT_ID); w.put(Attr.method, Uint8Array.of(0x65, 0x63)); }));
    mock.last.write(mock.invoke(3, 'echo', (w) => { w.open(5, true); w.u16(40); w.close(); }));
    mock.last.write(encodeMessage(99, 4, 0x77, () => {}));
    // Then a good call, in the same write as a bad one.
    mock.last.write(Buffer.concat([
      mock.invoke(5, 'echo', (w) => { w.open(5); w.u32(7); w.close(); }),
      mock.invoke(6, 'echo', (w) => { w.open(3, true); w.u16(4); w.bytes(new TextEncoder().encode('text\0')); w.pad(); w.string('fine'); w.close(); }),
    ]));
    await until('answers to the calls with readable headers', () => answers().length === 3);
    assert.equal(answers().map((m) => [m.seq, m.status]), [[3, UbusStatus.invalidArgument], [5, UbusStatus.invalidArgument], [6, UbusStatus.ok]]);
    const data = mock.fromClient.find((m) => m.type === MsgType.data && m.seq === 6)!;
    assert.ok(data.data);
    const s = c.stats();
    assert.equal([s.malformed, s.connected, s.disconnects], [4, 1, 0]);
    assert.is(mock.connections.length, 1);
  });
});

test('mock ubusd: an unreadable stream (bad version, a 16 MB claim, no hello) is closed, and the client connects again', async () => {
  await withMock(async (mock, c) => {
    await mock.reconnectAfter(() => mock.last.write(Uint8Array.of(1, MsgType.invoke, 0, 1, 0, 0, 0, 0x77, 0, 0, 0, 4)));
    assert.ok(await c.whenReady());
    await mock.reconnectAfter(() => mock.last.write(Uint8Array.of(0, MsgType.invoke, 0, 1, 0, 0, 0, 0x77, 0, 0xff, 0xff, 0xff)));
    assert.ok(await c.whenReady());
    // The next connection starts with a status instead of hello; the one after is right again.
    const hello = mock.greeting;
    mock.greeting = () => { mock.greeting = hello; return encodeMessage(MsgType.status, 0, 0x1234, (w) => w.putU32(Attr.status, 0)); };
    await mock.reconnectAfter(() => mock.last.destroy());
    assert.ok(await c.whenReady());
    const s = c.stats();
    assert.equal([s.malformed, s.disconnects, s.registrations, s.connected], [3, 4, 4, 1]);
    assert.is(mock.connections.length, 5);
    assert.ok(logged.some((l) => /message body of 16777215 bytes exceeds ubus's 1048576/.test(l)));
    assert.ok(logged.some((l) => /expected hello from ubusd, got message type 1/.test(l)));
  });
});

test.run();
