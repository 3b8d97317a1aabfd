// The trap receiver against Net-SNMP's own snmptrap/snmpinform (Debian package `snmp`), all on
// loopback. Every address in 127.0.0.0/8 is local on Linux, so `--clientaddr=127.0.0.2` gives a
// trap a source address of its own without touching any interface: 127.0.0.2 plays a server,
// 127.0.0.3 a stranger, 127.0.0.4 a management station that forwards traps. No namespace is
// needed and no packet leaves lo.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipFromV4, parseIp, sameIp } from '../../src/net/ip';
import { TrapReceiver, type TrapStats } from '../../src/capture/trap-in';
import { IGNORE_REASONS } from '../../src/capture/trap-in-filter';

const SERVER = '127.0.0.2';
const STRANGER = '127.0.0.3';
const NMS = '127.0.0.4';
const AGENT_OF_SERVER_2 = '198.51.100.7'; // only ever written into v1 agent-addr fields
const NS_NOTIFY_RESTART = '1.3.6.1.4.1.8072.4.0.3';

// Net-SNMP keeps engine boots and caches in SNMP_PERSISTENT_DIR and reads snmp.conf from
// SNMPCONFPATH: both point into a directory of this test's own.
const netSnmpDir = mkdtempSync(join(tmpdir(), 'bs-sn-traps-'));
const removeDir = (): void => rmSync(netSnmpDir, { recursive: true, force: true });
process.on('exit', removeDir);
const env = { ...process.env, SNMP_PERSISTENT_DIR: netSnmpDir, SNMPCONFPATH: netSnmpDir };

let port = 0;
let receiver: TrapReceiver;
const recoveries: { t: number; server: number; detail: string; authenticated?: boolean }[] = [];
/** Stand-ins for the servers the sources name, so recoveries can say which: 198.51.100.1 is server 1, .2 server 2. */
const SERVER_1 = ipFromV4(0xc6336401);
const SERVER_2 = ipFromV4(0xc6336402);
const logs: string[] = [];

/** Runs snmptrap/snmpinform; resolves with its exit code and stderr (never rejects on exit code). */
function run(tool: 'snmptrap' | 'snmpinform', args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(tool, ['-m', '', ...args], { env, timeout: 10_000 }, (error, _stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stderr });
    });
  });
}
const target = (): string => `127.0.0.1:${port}`;
const from = (source: string): string => `--clientaddr=${source}`;
const v2c = (source: string, community: string, trapOid: string): string[] =>
  ['-v2c', '-c', community, from(source), target(), '', trapOid];
const v1 = (source: string, agent: string, generic: number, enterprise = '1.3.6.1.4.1.8072.3.2.10', specific = 0): string[] =>
  ['-v1', '-c', 'public', from(source), target(), enterprise, agent, String(generic), String(specific), ''];
const v3 = (source: string, user: string[], trapOid: string): string[] =>
  ['-v3', ...user, '-t', '1', '-r', '0', from(source), target(), '', trapOid];
const alice = ['-u', 'alice', '-l', 'authPriv', '-a', 'SHA', '-A', 'alicepass1', '-x', 'AES', '-X', 'aliceprivkey'];

async function waitUntil(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000; // a bound against hanging, not a measurement
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}; stats ${JSON.stringify(receiver.stats())}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The counters that changed, flattened: { received: 2, accepted: 1, 'ignored.malformed': 1 }. */
function changes(before: TrapStats, after: TrapStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of ['received', 'accepted', 'discoveries'] as const) {
    if (after[key] !== before[key]) out[key] = after[key] - before[key];
  }
  for (const reason of IGNORE_REASONS) {
    const d = after.ignored[reason] - before.ignored[reason];
    if (d !== 0) out[`ignored.${reason}`] = d;
  }
  return out;
}

/** Runs `send`, waits until `datagrams` more have arrived, returns what changed. */
async function measure(datagrams: number, send: () => Promise<void>): Promise<Record<string, number>> {
  const before = receiver.stats();
  await send();
  await waitUntil(() => receiver.stats().received >= before.received + datagrams, `${datagrams} datagram(s)`);
  return changes(before, receiver.stats());
}

async function sent(tool: 'snmptrap' | 'snmpinform', args: string[], expectCode = 0): Promise<void> {
  const result = await run(tool, args);
  assert.is(result.code, expectCode, `${tool} ${args.join(' ')}: ${result.stderr}`);
}

test.before(async () => {
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
  port = probe.address().port;
  await new Promise<void>((resolve) => probe.close(resolve));
  const server = parseIp(SERVER)!;
  const agentOf2 = parseIp(AGENT_OF_SERVER_2)!;
  receiver = new TrapReceiver({
    snmp: {
      enabled: true, listen: '127.0.0.1', port,
      communities: ['public', 'lab-community'],
      nmsAddresses: [parseIp(NMS)!],
      users: [
        { name: 'alice', level: 'authPriv', authProtocol: 'sha', authKey: 'alicepass1', privProtocol: 'aes', privKey: 'aliceprivkey' },
        { name: 'bob', level: 'authPriv', authProtocol: 'sha256', authKey: 'bobpass123', privProtocol: 'aes256b', privKey: 'bobpriv123' },
        { name: 'carol', level: 'authNoPriv', authProtocol: 'md5', authKey: 'carolpass1', privProtocol: null, privKey: null },
      ],
      recoveryTraps: [NS_NOTIFY_RESTART],
    },
    // As the daemon does: a server's own address, or a server's configured agent address.
    sources: { serverAt: (address) => (sameIp(address, server) ? SERVER_1 : sameIp(address, agentOf2) ? SERVER_2 : null), isRelay: (address) => address.text === NMS },
    onRecovery: (t, server, detail, authenticated) => recoveries.push({ t, server: sameIp(server, SERVER_1) ? 1 : 2, detail, authenticated }),
    log: (level, msg) => logs.push(`${level} ${msg}`),
    now: () => 1700000000,
  });
  await receiver.start();
});

test.after(async () => {
  await receiver.stop();
  removeDir();
});

test('SNMPv1 coldStart from the server\'s address is a recovery of that server', async () => {
  recoveries.length = 0;
  const changed = await measure(1, () => sent('snmptrap', v1(SERVER, SERVER, 0)));
  assert.equal(changed, { received: 1, accepted: 1 });
  assert.equal(recoveries, [{ t: 1700000000, server: 1, detail: "coldStart trap (SNMPv1, community 'public') from 127.0.0.2", authenticated: false }]);
});

test('an SNMPv1 agent-addr naming a server counts only from a management station (nms_address)', async () => {
  recoveries.length = 0;
  const forged = await measure(1, () => sent('snmptrap', v1(STRANGER, AGENT_OF_SERVER_2, 1)));
  assert.equal(forged, { received: 1, 'ignored.unknownSource': 1 });
  assert.ok(logs.some((l) => l.includes("warmStart trap (SNMPv1, community 'public') from 127.0.0.3, agent-addr 198.51.100.7: " +
    'the address it names inside the trap counts only from a config snmp nms_address')), logs.join('\n'));
  const relayed = await measure(1, () => sent('snmptrap', v1(NMS, AGENT_OF_SERVER_2, 1)));
  assert.equal(relayed, { received: 1, accepted: 1 });
  assert.equal(recoveries.map((r) => [r.server, r.detail]), [[2, "warmStart trap (SNMPv1, community 'public') from 127.0.0.4, agent-addr 198.51.100.7"]]);
});

test('a forwarded SNMPv2c trap names its agent in snmpTrapAddress.0, believed only from a management station', async () => {
  recoveries.length = 0;
  const forwarded = (source: string): string[] =>
    ['-v2c', '-c', 'lab-community', from(source), target(), '', '1.3.6.1.6.3.1.1.5.1', '1.3.6.1.6.3.18.1.3.0', 'a', AGENT_OF_SERVER_2];
  const changed = await measure(2, async () => {
    await sent('snmptrap', forwarded(NMS));
    await sent('snmptrap', forwarded(STRANGER));
  });
  assert.equal(changed, { received: 2, accepted: 1, 'ignored.unknownSource': 1 });
  assert.equal(recoveries.map((r) => [r.server, r.detail]),
    [[2, "coldStart trap (SNMPv2c, community 'lab-community') from 127.0.0.4, snmpTrapAddress 198.51.100.7"]]);
});

test('only an SNMPv3 user whose level checks a key makes a trap authenticated', async () => {
  recoveries.length = 0;
  await measure(2, async () => {
    await sent('snmptrap', v3(SERVER, alice, '1.3.6.1.6.3.1.1.5.1'));
    await sent('snmptrap', v2c(SERVER, 'lab-community', '1.3.6.1.6.3.1.1.5.1'));
  });
  assert.equal(recoveries.map((r) => r.authenticated), [true, false]);
});

test('SNMPv2c coldStart and linkUp are recoveries; any listed community works', async () => {
  recoveries.length = 0;
  const changed = await measure(2, async () => {
    await sent('snmptrap', v2c(SERVER, 'public', '1.3.6.1.6.3.1.1.5.1'));
    await sent('snmptrap', v2c(SERVER, 'lab-community', '1.3.6.1.6.3.1.1.5.4'));
  });
  assert.equal(changed, { received: 2, accepted: 2 });
  assert.equal(recoveries.map((r) => [r.server, r.detail]), [
    [1, "coldStart trap (SNMPv2c, community 'public') from 127.0.0.2"],
    [1, "linkUp trap (SNMPv2c, community 'lab-community') from 127.0.0.2"],
  ]);
});

test('SNMPv2c inform is acknowledged (snmpinform exits 0) and is a recovery', async () => {
  recoveries.length = 0;
  const changed = await measure(1, () => sent('snmpinform', ['-t', '2', '-r', '0', ...v2c(SERVER, 'public', '1.3.6.1.6.3.1.1.5.2')]));
  assert.equal(changed, { received: 1, accepted: 1 });
  assert.match(recoveries[0].detail, /^warmStart inform \(SNMPv2c/);
});

test('SNMPv3 authPriv SHA/AES trap and inform from the server\'s address are recoveries', async () => {
  recoveries.length = 0;
  const changed = await measure(3, async () => {
    await sent('snmptrap', v3(SERVER, alice, '1.3.6.1.6.3.1.1.5.1'));
    // An inform first asks for our engine ID (one discovery), then sends the inform.
    await sent('snmpinform', v3(SERVER, alice, '1.3.6.1.6.3.1.1.5.4'));
  });
  assert.equal(changed, { received: 3, accepted: 2, discoveries: 1 });
  assert.equal(recoveries.map((r) => [r.server, r.detail]), [
    [1, "coldStart trap (SNMPv3, user 'alice') from 127.0.0.2"],
    [1, "linkUp inform (SNMPv3, user 'alice') from 127.0.0.2"],
  ]);
});

test('SNMPv3 SHA-256/AES-256 (Blumenthal) and MD5 authNoPriv users work too', async () => {
  recoveries.length = 0;
  const bob = ['-u', 'bob', '-l', 'authPriv', '-a', 'SHA-256', '-A', 'bobpass123', '-x', 'AES-256', '-X', 'bobpriv123'];
  const carol = ['-u', 'carol', '-l', 'authNoPriv', '-a', 'MD5', '-A', 'carolpass1'];
  const changed = await measure(2, async () => {
    await sent('snmptrap', v3(SERVER, bob, '1.3.6.1.6.3.1.1.5.1'));
    await sent('snmptrap', v3(SERVER, carol, '1.3.6.1.6.3.1.1.5.1'));
  });
  assert.equal(changed, { received: 2, accepted: 2 });
  assert.equal(recoveries.map((r) => r.detail), [
    "coldStart trap (SNMPv3, user 'bob') from 127.0.0.2",
    "coldStart trap (SNMPv3, user 'carol') from 127.0.0.2",
  ]);
});

test('a configured extra trap counts, in v2c form and as the v1 enterprise trap it maps from', async () => {
  recoveries.length = 0;
  const changed = await measure(2, async () => {
    await sent('snmptrap', v2c(SERVER, 'public', NS_NOTIFY_RESTART));
    await sent('snmptrap', v1(SERVER, SERVER, 6, '1.3.6.1.4.1.8072.4', 3));
  });
  assert.equal(changed, { received: 2, accepted: 2 });
  assert.equal(recoveries.map((r) => r.detail), [
    "nsNotifyRestart trap (SNMPv2c, community 'public') from 127.0.0.2",
    "nsNotifyRestart trap (SNMPv1, community 'public') from 127.0.0.2",
  ]);
});

test('a wrong community is ignored and counted', async () => {
  recoveries.length = 0;
  const changed = await measure(2, async () => {
    await sent('snmptrap', v2c(SERVER, 'private', '1.3.6.1.6.3.1.1.5.1'));
    await sent('snmptrap', ['-v1', '-c', 'Public', from(SERVER), target(), '1.3.6.1.4.1.8072.3.2.10', SERVER, '0', '0', '']);
  });
  assert.equal(changed, { received: 2, 'ignored.badCommunity': 2 });
  assert.equal(recoveries, []);
  assert.ok(logs.some((l) => l.startsWith('warn trap ignored (badCommunity)') && l.includes("community private")), logs.join('\n'));
});

test('SNMPv3 with a wrong key, an unknown user or too low a level is ignored and counted', async () => {
  recoveries.length = 0;
  const wrongAuth = ['-u', 'alice', '-l', 'authPriv', '-a', 'SHA', '-A', 'notalicepass', '-x', 'AES', '-X', 'aliceprivkey'];
  const wrongPriv = ['-u', 'alice', '-l', 'authPriv', '-a', 'SHA', '-A', 'alicepass1', '-x', 'AES', '-X', 'notaliceprivkey'];
  const mallory = ['-u', 'mallory', '-l', 'authPriv', '-a', 'SHA', '-A', 'alicepass1', '-x', 'AES', '-X', 'aliceprivkey'];
  const aliceNoPriv = ['-u', 'alice', '-l', 'authNoPriv', '-a', 'SHA', '-A', 'alicepass1'];
  const traps = await measure(3, async () => {
    await sent('snmptrap', v3(SERVER, wrongAuth, '1.3.6.1.6.3.1.1.5.1'));
    await sent('snmptrap', v3(SERVER, wrongPriv, '1.3.6.1.6.3.1.1.5.1'));
    await sent('snmptrap', v3(SERVER, mallory, '1.3.6.1.6.3.1.1.5.1'));
  });
  assert.equal(traps, { received: 3, 'ignored.authFailure': 2, 'ignored.unknownUser': 1 });
  // Informs: net-snmp answers these with a Report (or nothing) and never says why; still counted.
  const informs = await measure(6, async () => {
    await sent('snmpinform', v3(SERVER, wrongAuth, '1.3.6.1.6.3.1.1.5.1'), 1);
    await sent('snmpinform', v3(SERVER, mallory, '1.3.6.1.6.3.1.1.5.1'), 1);
    await sent('snmpinform', v3(SERVER, aliceNoPriv, '1.3.6.1.6.3.1.1.5.1'), 1);
  });
  assert.equal(informs, { received: 6, discoveries: 3, 'ignored.authFailure': 2, 'ignored.unknownUser': 1 });
  assert.equal(recoveries, []);
});

test('a recovery trap from an address that is no server\'s is ignored and counted', async () => {
  recoveries.length = 0;
  const changed = await measure(3, async () => {
    await sent('snmptrap', v2c(STRANGER, 'public', '1.3.6.1.6.3.1.1.5.1'));
    await sent('snmptrap', v3(STRANGER, alice, '1.3.6.1.6.3.1.1.5.4'));
    await sent('snmptrap', v1(STRANGER, STRANGER, 0));
  });
  assert.equal(changed, { received: 3, 'ignored.unknownSource': 3 });
  assert.equal(recoveries, []);
});

test('linkDown and other traps that do not mean "back" are ignored and counted', async () => {
  recoveries.length = 0;
  const changed = await measure(3, async () => {
    await sent('snmptrap', v2c(SERVER, 'public', '1.3.6.1.6.3.1.1.5.3'));
    await sent('snmptrap', v1(SERVER, SERVER, 2));
    await sent('snmptrap', v2c(SERVER, 'public', '1.3.6.1.4.1.8072.4.0.2')); // nsNotifyShutdown
  });
  assert.equal(changed, { received: 3, 'ignored.notRecoveryTrap': 3 });
  assert.equal(recoveries, []);
});

test('random garbage is counted as malformed and the receiver still works afterwards', async () => {
  recoveries.length = 0;
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, STRANGER, resolve));
  try {
    let seed = 42;
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const count = 200;
    const start = receiver.stats().received;
    const changed = await measure(count, async () => {
      for (let i = 0; i < count; i++) {
        const b = Buffer.alloc(1 + Math.floor(random() * 400));
        for (let j = 0; j < b.length; j++) b[j] = Math.floor(random() * 256);
        if (b[0] === 0x30) b[0] = 0; // an SNMP message starts with a SEQUENCE: keep these surely not SNMP
        await new Promise<void>((resolve, reject) => socket.send(b, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
        // Paced, so the socket buffer never overflows and every datagram is counted.
        if (i % 50 === 49) await waitUntil(() => receiver.stats().received === start + i + 1, 'garbage to drain');
      }
    });
    assert.equal(changed, { received: count, 'ignored.malformed': count });
  } finally {
    socket.close();
  }
  const after = await measure(1, () => sent('snmptrap', v2c(SERVER, 'public', '1.3.6.1.6.3.1.1.5.1')));
  assert.equal(after, { received: 1, accepted: 1 });
  assert.is(recoveries.length, 1);
});

test('every datagram ended as exactly one count', () => {
  const s = receiver.stats();
  const sum = s.accepted + s.discoveries + IGNORE_REASONS.reduce((n, r) => n + s.ignored[r], 0);
  assert.is(sum, s.received);
  assert.ok(s.received > 0);
  assert.not.ok(logs.some((l) => l.startsWith('error')), logs.filter((l) => l.startsWith('error')).join('\n'));
});

test.run();
