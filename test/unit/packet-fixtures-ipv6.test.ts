// Real kernel captures over IPv6 (test/fixtures/ipv6/*.pcap, recorded by test/fixtures/ipv6/record
// in a dual-stack lab of network namespaces): every frame decodes without a malformed one, the
// counts match what the recording's README reports for each file, the fields make sense for
// that lab, and each story shows what it was recorded for.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatMac } from '../../src/net/mac';
import { FrameDecoder } from '../../src/packet/dispatch';
import { forEachPacket } from '../../src/packet/pcapfile';
import { decodeOutcomes, malformedTotal } from '../../src/packet/stats';
import { IPPROTO_TCP } from '../../src/packet/ipv4';
import { UNREACH6_ADDRESS } from '../../src/packet/icmp6';
import { RecordingObservations, type Observation } from './packet-helpers';

const DIR = join(__dirname, '..', 'fixtures', 'ipv6');
const CAPTURES = existsSync(DIR) ? readdirSync(DIR).filter((n) => /\.pcap(ng)?$/.test(n)).sort() : [];
const README = existsSync(join(DIR, 'README.md')) ? readFileSync(join(DIR, 'README.md'), 'utf8') : '';

// The lab (see the README).
const SERVER = '2001:db8:2::10';
const ROUTER_CLIENT_SIDE = '2001:db8:1::1';
const ROUTER_SERVER_SIDE = '2001:db8:2::1';
const CLIENTS = ['2001:db8:1::10', '2001:db8:1::11'];
/** Every interface's MAC is 02:00 and its IPv4 address; the IPv6 addresses map onto those. */
const LAB_MACS: Record<string, string> = {
  '2001:db8:1::10': '02:00:c0:00:02:0a', '2001:db8:1::11': '02:00:c0:00:02:0b', [ROUTER_CLIENT_SIDE]: '02:00:c0:00:02:01',
  [ROUTER_SERVER_SIDE]: '02:00:c6:33:64:01', [SERVER]: '02:00:c6:33:64:0a',
};
const ROUTER_MAC = LAB_MACS[ROUTER_CLIENT_SIDE];
const inLab = (addr: string) => addr in LAB_MACS || addr.startsWith('fe80::');

interface Expected { packets: number; syn: number; synAck: number; rst: number; unreachable: number; addressUnreachable: number; ns: number; dad: number; na: number }

/** The "- packets: ..." line under the file's "### NAME" heading, if the README has one. */
function expectedFor(name: string): Expected | null {
  const at = README.indexOf(`### ${name}\n`);
  if (at < 0) return null;
  const m = /- packets: (\d+); SYN: (\d+); SYN\/ACK: (\d+); RST: (\d+); ICMPv6 unreachable: (\d+) \(address unreachable: (\d+)\); NS: (\d+) \(from ::, DAD: (\d+)\); NA: (\d+)/.exec(README.slice(at));
  if (!m) return null;
  const [packets, syn, synAck, rst, unreachable, addressUnreachable, ns, dad, na] = m.slice(1).map(Number);
  return { packets, syn, synAck, rst, unreachable, addressUnreachable, ns, dad, na };
}

function decode(name: string) {
  const sink = new RecordingObservations();
  const decoder = new FrameDecoder(sink);
  const info = forEachPacket(readFileSync(join(DIR, name)), (linktype, data, off, len, t) => decoder.frame(linktype, data, off, len, t));
  return { info, stats: decoder.stats, seen: sink.seen };
}

type Kind<K extends Observation['kind']> = Extract<Observation, { kind: K }>;
const only = <K extends Observation['kind']>(seen: Observation[], kind: K) => seen.filter((o): o is Kind<K> => o.kind === kind);

test('the recorded IPv6 captures are there, with their README', () => {
  assert.ok(CAPTURES.length >= 8, `expected the 8 captures in ${DIR}: record them with test/fixtures/ipv6/record (as root)`);
  for (const name of CAPTURES) assert.ok(expectedFor(name), `${name}: no counts line in README.md`);
});

for (const name of CAPTURES) {
  test(`${name}: no malformed frame, counts as recorded, fields consistent with the lab`, () => {
    const { info, stats: s, seen } = decode(name);
    assert.is(s.frames, info.packets);
    assert.is(info.cutShort, null);
    assert.is(malformedTotal(s), 0, `${name}: malformed ${JSON.stringify(s.malformed)}`);
    assert.is(decodeOutcomes(s), s.frames);
    const expected = expectedFor(name);
    if (expected) {
      // Counted from tcpdump output by the recorder; DAD probes are not reported by design.
      const unreachable = only(seen, 'icmp6Unreachable');
      assert.equal({
        packets: info.packets, syn: only(seen, 'syn6').length, synAck: only(seen, 'synAck6').length, rst: only(seen, 'reset6').length,
        unreachable: unreachable.length, addressUnreachable: unreachable.filter((o) => o.code === UNREACH6_ADDRESS).length,
        ns: only(seen, 'neighbourSolicit').length + expected.dad, dad: expected.dad, na: only(seen, 'neighbourAdvert').length,
      }, expected, `${name}: counts against the README`);
    }
    const synSeqs = new Set<number>();
    for (const o of seen) {
      switch (o.kind) {
        case 'syn6':
          assert.ok(CLIENTS.includes(o.client) && o.server === SERVER && o.dport === 80, `${name}: SYN ${o.client} -> ${o.server}.${o.dport}`);
          // Received from the client, or forwarded by the router (its own MAC), or none (SLL2 outgoing).
          assert.ok(o.clientMac === 0 || [LAB_MACS[o.client], ROUTER_MAC, LAB_MACS[ROUTER_SERVER_SIDE]].includes(formatMac(o.clientMac)),
            `${name}: SYN from ${o.client} with link source ${formatMac(o.clientMac)}`);
          synSeqs.add(o.seq);
          break;
        case 'synAck6':
          assert.ok(o.server === SERVER && CLIENTS.includes(o.client), `${name}: SYN/ACK ${o.server} -> ${o.client}`);
          assert.ok(synSeqs.has((o.ack - 1) >>> 0), `${name}: SYN/ACK ack ${o.ack} answers no SYN seen before it`);
          break;
        case 'icmp6Unreachable':
          assert.equal([o.reporter, formatMac(o.reporterMac), o.server, o.proto, o.dport], [ROUTER_CLIENT_SIDE, ROUTER_MAC, SERVER, IPPROTO_TCP, 80], `${name}: ICMPv6 error`);
          assert.ok(CLIENTS.includes(o.client) && o.sport >= 1024, `${name}: ICMPv6 error about ${o.client}.${o.sport}`);
          break;
        case 'neighbourSolicit':
          assert.ok(inLab(o.sender) && inLab(o.target), `${name}: NS from ${o.sender} for ${o.target}`);
          break;
        case 'neighbourAdvert':
          assert.ok(inLab(o.target), `${name}: NA for ${o.target}`);
          if (o.targetMac !== 0 && o.target in LAB_MACS) assert.is(formatMac(o.targetMac), LAB_MACS[o.target], `${name}: ${o.target} is-at`);
          break;
        default:
          assert.unreachable(`${name}: an IPv4 observation (${o.kind}) in an IPv6 capture`);
      }
    }
  });
}

/** The ICMPv6 errors quote a SYN of the file: same client port, sent before the error. */
function assertErrorsQuoteSyns(name: string, seen: Observation[], clients: string[]): void {
  const errors = only(seen, 'icmp6Unreachable');
  assert.ok(errors.length > 0, `${name}: an ICMPv6 error`);
  assert.equal([...new Set(errors.map((e) => e.client))].sort(), clients, `${name}: the clients told`);
  for (const e of errors) {
    assert.is(e.code, UNREACH6_ADDRESS, `${name}: address unreachable`);
    assert.ok(only(seen, 'syn6').some((s) => s.client === e.client && s.sport === e.sport && s.t <= e.t), `${name}: error about ${e.client}.${e.sport} quotes a SYN seen before it`);
  }
}

const routerAsks = (seen: Observation[]) => only(seen, 'neighbourSolicit').filter((o) => o.target === SERVER);
const serverAnswers = (seen: Observation[]) => only(seen, 'neighbourAdvert').filter((o) => o.target === SERVER);

test('uncached neighbour: the router asks for the server, nobody answers, the client gets address unreachable', () => {
  const client = decode('uncached.pcap');
  assertErrorsQuoteSyns('uncached.pcap', client.seen, ['2001:db8:1::10']);
  assert.is(only(client.seen, 'synAck6').length, 0);
  const server = decode('uncached-server-side.pcap');
  assert.ok(routerAsks(server.seen).length >= 3, 'three solicitations for the server');
  assert.equal([serverAnswers(server.seen).length, only(server.seen, 'syn6').length], [0, 0], 'no answer, and the SYN never left the router');
});

test('cached neighbour: the SYN/ACK while it is up, then unicast probes, a new resolution, address unreachable', () => {
  const client = decode('cached.pcap');
  const synAck = only(client.seen, 'synAck6');
  assert.is(synAck.length, 1);
  assertErrorsQuoteSyns('cached.pcap', client.seen, ['2001:db8:1::10']);
  assert.ok(only(client.seen, 'icmp6Unreachable').every((e) => e.t > synAck[0].t));
  const server = decode('cached-server-side.pcap');
  assert.ok(serverAnswers(server.seen).some((o) => formatMac(o.targetMac) === LAB_MACS[SERVER]), 'the server answered while it was up');
  assert.ok(routerAsks(server.seen).length >= 3, 'then the router asked again, unanswered');
});

test('whole story: both clients get address unreachable, then the server answers the router and a SYN/ACK follows', () => {
  for (const name of ['outage-client-side.pcap', 'outage-any.pcap']) {
    const { seen, info } = decode(name);
    assertErrorsQuoteSyns(name, seen, CLIENTS);
    const lastError = Math.max(...only(seen, 'icmp6Unreachable').map((e) => e.t));
    const after = only(seen, 'synAck6').filter((o) => o.t > lastError);
    assert.ok(after.length > 0 && after.every((o) => o.client === '2001:db8:1::11'), `${name}: the SYN/ACK after the outage goes to c1`);
    if (name === 'outage-any.pcap') assert.equal(info.interfaces.map((i) => i.linktype), [276]);
  }
  const server = decode('outage-server-side.pcap');
  const answers = serverAnswers(server.seen);
  const asked = routerAsks(server.seen);
  assert.ok(answers.length >= 2, 'the server answered before the outage and after it');
  assert.ok(asked.some((o) => o.t > answers[0].t && o.t < answers[answers.length - 1].t), 'unanswered solicitations in between');
});

test('silent service: SYNs of one connection unanswered for over 30 s, no ICMPv6, then a SYN/ACK to a new one', () => {
  const { seen } = decode('silent-service.pcap');
  const syns = only(seen, 'syn6');
  const first = syns[0];
  const retries = syns.filter((o) => o.sport === first.sport);
  assert.ok(retries.length >= 6, `${retries.length} SYNs`);
  assert.ok(retries[retries.length - 1].t - first.t > 30, 'unanswered for longer than syn_timeout 30 s');
  assert.is(only(seen, 'icmp6Unreachable').length, 0);
  const synAck = only(seen, 'synAck6');
  assert.is(synAck.length, 1);
  assert.ok(synAck[0].dport !== first.sport, 'the SYN/ACK answers a new connection');
});

test.run();
