// The receiver on loopback, fed with datagrams from a plain UDP socket (no root, no Net-SNMP
// tools; test/lab/traps.test.ts drives it with the real snmptrap/snmpinform).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import type { SnmpConfig } from '../../src/config/types';
import { bindErrorMessage, TrapReceiver, type TrapStats } from '../../src/capture/trap-in';

// Net-SNMP 5.9.3: snmptrap -v2c -c public H '' 1.3.6.1.6.3.1.1.5.4 1.3.6.1.2.1.2.2.1.1.2 i 2
const netSnmpLinkUp = Buffer.from('305602010104067075626c6963a749020404e507a1020100020100303b300f06082b06010201010300430300ece53017060a2b06010603010104010006092b0601060301010504300f060a2b060102010202010102020102', 'hex');
// snmpinform -v2c -c public H '' 1.3.6.1.6.3.1.1.5.1
const netSnmpColdStartInform = Buffer.from('304502010104067075626c6963a63802047c695732020100020100302a300f06082b06010201010300430300ece63017060a2b06010603010104010006092b0601060301010501', 'hex');

// snmptrap -v3 -u carol -l authNoPriv -a MD5 -A carolpass1 H '' 1.3.6.1.6.3.1.1.5.2
const netSnmpV3Carol = Buffer.from('30819d020103301102043f58ed91020300ffe304010102010304343032041180001f8880125e41763d64076b00000000020101020300eced04056361726f6c040c748f11b14408aaab637713350400304f041180001f8880125e41763d64076b000000000400a73802042ff26d04020100020100302a300f06082b06010201010300430300eced3017060a2b06010603010104010006092b0601060301010502', 'hex');
// The engine-ID discovery request snmpinform -v3 sends first.
const netSnmpV3Discovery = Buffer.from('304f02010330110204248d15c6020300ffe30401040201030410300e04000201000201000400040004003025041180001f8880125e41763d64076b000000000400a00e02044255cb7a0201000201003000', 'hex');

async function freeUdpPort(): Promise<number> {
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(resolve));
  return port;
}

async function waitUntil(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000; // a bound against hanging, not a measurement
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function total(s: TrapStats): number {
  return s.accepted + s.discoveries + Object.values(s.ignored).reduce((a, b) => a + b, 0);
}

interface Harness {
  receiver: TrapReceiver;
  recoveries: { t: number; server: number; detail: string }[];
  logs: string[];
}

function harness(snmp: Partial<SnmpConfig>): Harness {
  const recoveries: Harness['recoveries'] = [];
  const logs: string[] = [];
  const receiver = new TrapReceiver({
    snmp: { enabled: true, listen: '127.0.0.1', port: 162, communities: ['public'], nmsAddresses: [], users: [], recoveryTraps: [], ...snmp },
    sources: { serverAt: (address) => (address.text === '127.0.0.1' ? address : null), isRelay: () => false },
    onRecovery: (t, server, detail) => recoveries.push({ t, server: server.text === '127.0.0.1' ? 1 : 0, detail }),
    log: (level, msg) => logs.push(`${level} ${msg}`),
    now: () => 1700000000.5,
  });
  return { receiver, recoveries, logs };
}

async function withSender<T>(use: (send: (b: Uint8Array, port: number) => Promise<void>) => Promise<T>): Promise<T> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  try {
    return await use((b, port) => new Promise<void>((resolve, reject) =>
      socket.send(b, port, '127.0.0.1', (err) => (err ? reject(err) : resolve()))));
  } finally {
    socket.close();
  }
}

test('a port already in use is reported once, with the cause and the fix', async () => {
  const blocker = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.1', resolve));
  const { port } = blocker.address();
  try {
    const { receiver } = harness({ port });
    const error = await receiver.start().then(() => null, (e: Error) => e);
    assert.ok(error, 'start() must fail');
    assert.match(error.message, `UDP 127.0.0.1:${port}`);
    assert.match(error.message, /in use/);
    assert.match(error.message, /option port/);
    await receiver.stop();
  } finally {
    blocker.close();
  }
});

test('a listen address that is not on this host is reported as such', async () => {
  const { receiver } = harness({ listen: '203.0.113.1', port: await freeUdpPort() });
  const error = await receiver.start().then(() => null, (e: Error) => e);
  assert.ok(error, 'start() must fail');
  assert.match(error.message, /option listen '203\.0\.113\.1' is not an address of this host/);
});

test('permission denied below port 1024 names root and CAP_NET_BIND_SERVICE', () => {
  // As root here, a real EACCES cannot be provoked; the message is what an admin would read.
  const message = bindErrorMessage({ code: 'EACCES', message: 'bind EACCES 0.0.0.0:162' }, '0.0.0.0', 162);
  assert.match(message, /UDP 0\.0\.0\.0:162: permission denied/);
  assert.match(message, /CAP_NET_BIND_SERVICE/);
  assert.match(message, /1024/);
  assert.not.match(bindErrorMessage({ code: 'EACCES', message: 'x' }, '0.0.0.0', 1162), /CAP_NET_BIND_SERVICE/);
  assert.match(bindErrorMessage({ code: 'EADDRINUSE', message: 'x' }, '::', 162), /UDP \[::\]:162/);
});

test('a port outside 1-65535 is refused before binding', async () => {
  for (const port of [0, 70000, 1.5]) {
    const error = await harness({ port }).receiver.start().then(() => null, (e: Error) => e);
    assert.match(error?.message ?? '', /option port/);
  }
});

test('a bad recovery trap OID is refused when the receiver is built', () => {
  assert.throws(() => harness({ recoveryTraps: ['coldStart'] }), /'coldStart'/);
});

test('a disabled receiver binds nothing', async () => {
  const port = await freeUdpPort();
  const { receiver, logs } = harness({ enabled: false, port });
  await receiver.start();
  const check = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => { check.once('error', reject); check.bind(port, '127.0.0.1', resolve); });
  check.close();
  assert.ok(logs.some((l) => l.includes('off')));
  await receiver.stop();
});

test('garbage never stops the receiver; every datagram is counted once', async () => {
  const port = await freeUdpPort();
  const { receiver, recoveries } = harness({ port });
  await receiver.start();
  try {
    let seed = 7;
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    await withSender(async (send) => {
      const sent = { garbage: 0, mutated: 0 };
      for (let batch = 0; batch < 40; batch++) {
        for (let i = 0; i < 50; i++) {
          let b: Buffer;
          if (i % 2 === 0) {
            b = Buffer.alloc(1 + Math.floor(random() * 150));
            for (let j = 0; j < b.length; j++) b[j] = Math.floor(random() * 256);
            b[0] = b[0] === 0x30 ? 0x31 : b[0]; // not a BER SEQUENCE: surely not SNMP
            sent.garbage++;
          } else {
            // Real Net-SNMP datagrams, cut short or with bytes overwritten: some still decode.
            b = Buffer.from(i % 4 === 1 ? netSnmpLinkUp : netSnmpColdStartInform);
            if (random() < 0.3) b = b.subarray(0, Math.floor(random() * b.length) + 1);
            else for (let k = 0; k < 3; k++) b[Math.floor(random() * b.length)] = Math.floor(random() * 256);
            sent.mutated++;
          }
          await send(b, port);
        }
        const expected = (batch + 1) * 50;
        await waitUntil(() => receiver.stats().received === expected, `${expected} datagrams`);
      }
      const stats = receiver.stats();
      assert.is(stats.received, sent.garbage + sent.mutated);
      assert.is(total(stats), stats.received);
      assert.ok(stats.ignored.malformed >= sent.garbage, `malformed ${stats.ignored.malformed} < garbage ${sent.garbage}`);
      assert.is(stats.accepted, recoveries.length);

      // Still receiving: the untouched Net-SNMP linkUp is accepted.
      const before = recoveries.length;
      await send(netSnmpLinkUp, port);
      await waitUntil(() => recoveries.length === before + 1, 'the linkUp');
      assert.equal(recoveries[before], {
        t: 1700000000.5, server: 1, detail: "linkUp trap (SNMPv2c, community 'public') from 127.0.0.1",
      });
    });
  } finally {
    await receiver.stop();
  }
});

test('SNMPv3: discovery is answered and counted apart; a user not configured is counted', async () => {
  const port = await freeUdpPort();
  const { receiver, recoveries } = harness({
    port,
    users: [{ name: 'alice', level: 'authPriv', authProtocol: 'sha', authKey: 'alicepass1', privProtocol: 'aes', privKey: 'aliceprivkey' }],
  });
  await receiver.start();
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const report = new Promise<Buffer>((resolve) => socket.once('message', resolve));
    socket.send(netSnmpV3Discovery, port, '127.0.0.1');
    assert.is((await report)[4], 3, 'an SNMPv3 answer');
    socket.send(netSnmpV3Carol, port, '127.0.0.1');
    await waitUntil(() => receiver.stats().received === 2, 'both datagrams');
    const stats = receiver.stats();
    assert.is(stats.discoveries, 1);
    assert.is(stats.ignored.unknownUser, 1);
    assert.is(total(stats), 2);
    assert.is(recoveries.length, 0);
  } finally {
    socket.close();
    await receiver.stop();
  }
});

test('an inform is answered, and stop() frees the port', async () => {
  const port = await freeUdpPort();
  const { receiver, recoveries } = harness({ port });
  await receiver.start();
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const answer = new Promise<Buffer>((resolve) => socket.once('message', resolve));
    socket.send(netSnmpColdStartInform, port, '127.0.0.1');
    const response = await answer;
    // SEQUENCE, version 1 (v2c), community 'public', then a GetResponse (0xa2) PDU.
    assert.is(response.subarray(2, 13).toString('hex'), '02010104067075626c6963');
    assert.is(response[13], 0xa2, response.toString('hex'));
    assert.is(recoveries.length, 1);
    assert.match(recoveries[0].detail, /^coldStart inform/);
  } finally {
    socket.close();
    await receiver.stop();
  }
  const check = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => { check.once('error', reject); check.bind(port, '127.0.0.1', resolve); });
  check.close();
});

test.run();
