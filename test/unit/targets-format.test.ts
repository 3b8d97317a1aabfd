// The machine-readable block of the targets mail (P13/P14, Fig. 18): what the router writes is
// what the agent reads, and anything altered, cut or forged is refused as a whole.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  formatTargetsBlock, formatUtc, parseTargetsText, parseUtc, TARGETS_BEGIN, TARGETS_END, type RecoveryTargets,
} from '../../src/notify/targets-format';

const T0 = 1_795_000_000; // 2026-11-18T11:06:40Z
const fig18: RecoveryTargets = {
  server: { name: 'www.example.test', address: '198.51.100.80' },
  outage: '198.51.100.80@1795000000',
  outageStart: T0,
  recoveredAt: T0 + 723,
  clients: [
    { client: '192.0.2.151', firstAttempt: T0 + 61, lastAttempt: T0 + 300, mac: '02:00:5E:10:00:01' },
    { client: '192.0.2.153', firstAttempt: T0 + 70, lastAttempt: T0 + 70 },
    { client: '192.0.2.157', firstAttempt: T0 + 80, lastAttempt: T0 + 600 },
    { client: '192.0.2.161', firstAttempt: T0 + 90, lastAttempt: T0 + 700 },
  ],
};

function parsed(text: string): RecoveryTargets {
  const r = parseTargetsText(text);
  if (!r.ok) throw new Error(`expected a parse, got: ${r.reason}`);
  return r.targets;
}

function reason(text: string): string {
  const r = parseTargetsText(text);
  assert.is(r.ok, false, 'expected a refusal');
  return r.ok ? '' : r.reason;
}

test('the block of Fig. 18 reads back as written, MAC in lower case', () => {
  const block = formatTargetsBlock(fig18);
  assert.ok(block.startsWith(`${TARGETS_BEGIN}\nbacksoon-targets: 1\nserver: 198.51.100.80\n`));
  assert.ok(block.includes('\nclient: 192.0.2.151 2026-11-18T11:07:41Z 2026-11-18T11:11:40Z 02:00:5e:10:00:01\n'));
  assert.ok(block.includes('\nclient: 192.0.2.153 2026-11-18T11:07:50Z 2026-11-18T11:07:50Z -\n'));
  assert.ok(block.endsWith(`${TARGETS_END}\n`));
  const back = parsed(`Some words a person reads.\n\n${block}\nA signature.\n`);
  assert.equal(back, { ...fig18, clients: fig18.clients.map((c) => (c.mac ? { ...c, mac: c.mac.toLowerCase() } : c)) });
});

test('CRLF line ends and trailing blanks from a mail path do not matter', () => {
  const block = formatTargetsBlock(fig18).replace(/\n/g, ' \r\n');
  assert.is(parsed(block).clients.length, 4);
});

test('times are whole UTC seconds both ways, and impossible dates are refused', () => {
  assert.is(formatUtc(T0 + 0.9), '2026-11-18T11:06:40Z');
  assert.is(parseUtc('2026-11-18T11:06:40Z'), T0);
  assert.is(parseUtc('2026-02-31T00:00:00Z'), null);
  assert.is(parseUtc('2026-11-18T08:26:40+09:00'), null);
  assert.is(parseUtc('2026-11-18 08:26:40Z'), null);
});

test('a mail without a block says so, apart from a broken block', () => {
  const none = parseTargetsText('Hello, this is an ordinary mail.\n');
  assert.equal(none.ok, false);
  assert.is(none.ok ? null : none.found, false);
  const broken = parseTargetsText(`${TARGETS_BEGIN}\nbacksoon-targets: 1\n`);
  assert.is(broken.ok ? null : broken.found, true);
});

test('a block cut short, altered in its count, or given twice is refused', () => {
  const block = formatTargetsBlock(fig18);
  assert.match(reason(block.slice(0, block.indexOf(TARGETS_END))), /cut short/);
  assert.match(reason(block.replace('clients: 4', 'clients: 5')), /clients says 5 but the block has 4/);
  assert.match(reason(block.replace(/client: 192\.0\.2\.161[^\n]*\n/, '')), /clients says 4 but the block has 3/);
  assert.match(reason(block + block), /2 '-----BEGIN BACKSOON TARGETS-----' lines/);
});

test('a newer format version is refused with the fix', () => {
  assert.match(reason(formatTargetsBlock(fig18).replace('backsoon-targets: 1', 'backsoon-targets: 2')), /version 2; this backsoon reads version 1 \(update backsoon/);
});

test('wrong addresses, times, MACs and missing fields are refused, naming the line', () => {
  const block = formatTargetsBlock(fig18);
  assert.match(reason(block.replace('server: 198.51.100.80', 'server: 198.51.100.800')), /server '198\.51\.100\.800' is not an IPv4 address/);
  assert.match(reason(block.replace('client: 192.0.2.153', 'client: 192.0.2.x')), /block line \d+: client '192\.0\.2\.x'/);
  assert.match(reason(block.replace('down-since: 2026-11-18T11:06:40Z', 'down-since: yesterday')), /down-since 'yesterday'/);
  assert.match(reason(block.replace('02:00:5e:10:00:01', '02:00:5e:10:00')), /MAC '02:00:5e:10:00'/);
  assert.match(reason(block.replace(/outage: [^\n]*\n/, '')), /no 'outage:' line/);
  assert.match(reason(block.replace('\nserver:', '\nserver:\nserver:')), /'server' is given twice/);
  assert.match(reason(block.replace('clients: 4', 'clients 4')), /is not 'key: value'/);
});

test('unknown keys are skipped (a newer router within version 1), a client given twice counts once', () => {
  const block = formatTargetsBlock({ ...fig18, clients: [fig18.clients[0]] })
    .replace('clients: 1', 'site: tokyo-1\nclients: 2')
    .replace(TARGETS_END, `client: 192.0.2.151 2026-11-18T11:07:41Z 2026-11-18T11:11:40Z -\n${TARGETS_END}`);
  assert.equal(parsed(block).clients.map((c) => c.client), ['192.0.2.151']);
});

test('a server name with line breaks cannot add lines to the block; no name falls back to the address', () => {
  const evil = formatTargetsBlock({ ...fig18, server: { ...fig18.server, name: 'www\nclient: 203.0.113.9 x y -' } });
  assert.is(parsed(evil).clients.length, 4);
  assert.is(parsed(evil).server.name, 'www client: 203.0.113.9 x y -');
  assert.is(parsed(formatTargetsBlock({ ...fig18, server: { ...fig18.server, name: '' } })).server.name, '198.51.100.80');
});

test('formatting refuses an address that is not IPv4', () => {
  assert.throws(() => formatTargetsBlock({ ...fig18, server: { name: 'x', address: 'www' } }), /server address 'www'/);
  assert.throws(() => formatTargetsBlock({ ...fig18, clients: [{ client: '::1', firstAttempt: T0, lastAttempt: T0 }] }), /client address '::1'/);
});

// A seeded generator, so a failure names its case and reruns the same.
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('fuzz: generated blocks read back exactly; mutated ones never throw and never invent a client', () => {
  const rnd = random(20261118);
  const int = (n: number) => Math.floor(rnd() * n);
  for (let i = 0; i < 300; i++) {
    const n = int(20);
    const start = T0 + int(1e6);
    const t: RecoveryTargets = {
      server: { name: `srv-${i}`, address: `198.51.100.${int(256)}` },
      outage: `198.51.100.${i}@${start}`,
      outageStart: start,
      recoveredAt: start + int(1e5),
      clients: Array.from({ length: n }, (_, k) => ({
        client: `192.0.2.${k}`, firstAttempt: start + k, lastAttempt: start + k + int(100),
        ...(rnd() < 0.5 ? { mac: `02:00:00:00:00:${k.toString(16).padStart(2, '0')}` } : {}),
      })),
    };
    const block = formatTargetsBlock(t);
    assert.equal(parsed(block), t, `case ${i}`);
    // mutations: drop, duplicate or garble one byte; the parse must refuse or stay within the original clients
    const bytes = [...block];
    const at = int(bytes.length);
    const kind = int(3);
    if (kind === 0) bytes.splice(at, 1);
    else if (kind === 1) bytes.splice(at, 0, bytes[at]);
    else bytes[at] = String.fromCharCode(32 + int(95));
    const r = parseTargetsText(bytes.join(''));
    if (r.ok) {
      assert.ok(r.targets.clients.length <= n, `case ${i}: more clients than written`);
    }
  }
  for (let i = 0; i < 300; i++) {
    const garbage = Array.from({ length: int(400) }, () => String.fromCharCode(int(128))).join('');
    const r = parseTargetsText(`${TARGETS_BEGIN}\n${garbage}\n${TARGETS_END}\n`);
    assert.is(r.ok, false);
  }
});

test.run();
