// Real kernel captures (test/fixtures/*.pcap, recorded by test/fixtures/record in a lab of
// network namespaces): every frame decodes without a malformed one, the counts match what
// the recording's README reports for each file, and the fields make sense for that lab.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIPv4, parsePrefix, prefixContains } from '../../src/net/ipv4';
import { formatMac } from '../../src/net/mac';
import { FrameDecoder } from '../../src/packet/dispatch';
import { forEachPacket } from '../../src/packet/pcapfile';
import { decodeOutcomes, malformedTotal } from '../../src/packet/stats';
import { RecordingObservations } from './packet-helpers';

const DIR = join(__dirname, '..', 'fixtures');
const CAPTURES = existsSync(DIR) ? readdirSync(DIR).filter((n) => /\.pcap(ng)?$/.test(n)).sort() : [];
const README = existsSync(join(DIR, 'README.md')) ? readFileSync(join(DIR, 'README.md'), 'utf8') : '';

// The lab (see the README): clients, the router on both sides, the server.
const CLIENTS = parsePrefix('192.0.2.0/24')!;
const SERVERS = parsePrefix('198.51.100.0/24')!;
const ROUTER_CLIENT_SIDE = 0xc0000201; // 192.0.2.1
const ROUTER_SERVER_SIDE = 0xc6336401; // 198.51.100.1
/** The lab gives every interface the MAC 02:00 followed by its IPv4 address. */
const labMac = (addr: number) => 0x020000000000 + addr;
const inLab = (addr: number) => prefixContains(CLIENTS, addr) || prefixContains(SERVERS, addr);

interface Expected { packets: number; syn: number; synAck: number; rst: number; icmpHost: number; arpRequests: number; arpReplies: number }

/** The "- packets: ..." line under the file's "### NAME" heading, if the README has one. */
function expectedFor(name: string): Expected | null {
  const at = README.indexOf(`### ${name}\n`);
  if (at < 0) return null;
  const m = /- packets: (\d+); SYN: (\d+); SYN\/ACK: (\d+); RST: (\d+); ICMP host unreachable: (\d+); ARP requests: (\d+)[^;]*; ARP replies: (\d+)/.exec(README.slice(at));
  if (!m) return null;
  const [packets, syn, synAck, rst, icmpHost, arpRequests, arpReplies] = m.slice(1).map(Number);
  return { packets, syn, synAck, rst, icmpHost, arpRequests, arpReplies };
}

test('the recorded captures are there', () => {
  assert.ok(CAPTURES.length > 0, `no *.pcap in ${DIR}: record them with test/fixtures/record (as root)`);
});

for (const name of CAPTURES) {
  test(`${name}: no malformed frame, counts as recorded, fields consistent with the lab`, () => {
    const sink = new RecordingObservations();
    const decoder = new FrameDecoder(sink);
    let lastT = 0;
    const info = forEachPacket(readFileSync(join(DIR, name)), (linktype, data, off, len, t) => {
      assert.ok(t >= lastT && t > 1.5e9, `${name}: time ${t} after ${lastT}`);
      lastT = t;
      decoder.frame(linktype, data, off, len, t);
    });
    const s = decoder.stats;
    assert.is(s.frames, info.packets);
    const none = Object.fromEntries(Object.keys(s.malformed).map((reason) => [reason, 0]));
    assert.equal(s.malformed, none, `${name}: malformed frames by reason`);
    assert.is(malformedTotal(s), 0);
    assert.is(decodeOutcomes(s), s.frames);

    const kinds = (kind: string) => sink.seen.filter((o) => o.kind === kind);
    const expected = expectedFor(name);
    if (expected) {
      // Counted from tcpdump output by the recorder. ARP probes and gratuitous requests are
      // not reported by design; a re-recording that contains them will show up here.
      assert.equal({
        packets: info.packets, syn: s.syn, synAck: s.synAck, rst: s.reset,
        icmpHost: sink.seen.filter((o) => o.kind === 'icmpUnreachable' && o.code === 1).length,
        arpRequests: kinds('arpRequest').length, arpReplies: kinds('arpReply').length,
      }, expected, `${name}: counts against the README`);
    }

    const synSeqs = new Set<number>();
    for (const o of sink.seen) {
      switch (o.kind) {
        case 'syn':
          assert.ok(prefixContains(CLIENTS, o.client) && prefixContains(SERVERS, o.server), `${name}: SYN ${formatIPv4(o.client)} -> ${formatIPv4(o.server)}`);
          assert.ok([0, labMac(o.client), labMac(ROUTER_CLIENT_SIDE), labMac(ROUTER_SERVER_SIDE)].includes(o.clientMac),
            `${name}: SYN from ${formatIPv4(o.client)} with link source ${formatMac(o.clientMac)}`);
          synSeqs.add(o.seq);
          break;
        case 'synAck':
          assert.ok(prefixContains(SERVERS, o.server) && prefixContains(CLIENTS, o.client), `${name}: SYN/ACK ${formatIPv4(o.server)} -> ${formatIPv4(o.client)}`);
          assert.ok(synSeqs.has((o.ack - 1) >>> 0), `${name}: SYN/ACK ack ${o.ack} answers no SYN seen before it`);
          break;
        case 'reset':
          assert.ok(inLab(o.server) && inLab(o.client));
          break;
        case 'icmpUnreachable':
          assert.is(o.reporter, ROUTER_CLIENT_SIDE, `${name}: ICMP from ${formatIPv4(o.reporter)}`);
          assert.ok(prefixContains(CLIENTS, o.client) && prefixContains(SERVERS, o.server));
          assert.equal([o.proto, o.dport], [6, 80], `${name}: quoted SYN to port 80`);
          assert.ok(o.sport >= 1024);
          break;
        case 'arpRequest':
          assert.ok(inLab(o.sender) && inLab(o.target), `${name}: ARP ${formatIPv4(o.sender)} asks ${formatIPv4(o.target)}`);
          break;
        case 'arpReply':
          assert.is(o.senderMac, labMac(o.sender), `${name}: ${formatIPv4(o.sender)} is-at ${formatMac(o.senderMac)}`);
          break;
      }
    }
  });
}

test('across all captures: SYNs, SYN/ACKs, ICMP unreachables and ARP all occur', () => {
  const totals = { syn: 0, synAck: 0, icmpUnreachable: 0, arp: 0, sll2: 0 };
  for (const name of CAPTURES) {
    const decoder = new FrameDecoder(new RecordingObservations());
    const info = forEachPacket(readFileSync(join(DIR, name)), (lt, d, o, l, t) => decoder.frame(lt, d, o, l, t));
    totals.syn += decoder.stats.syn; totals.synAck += decoder.stats.synAck;
    totals.icmpUnreachable += decoder.stats.icmpUnreachable; totals.arp += decoder.stats.arp;
    if (info.interfaces.some((i) => i.linktype === 276)) totals.sll2++;
  }
  for (const [kind, count] of Object.entries(totals)) assert.ok(count > 0, `no ${kind} in ${CAPTURES.join(', ')}`);
});

test.run();
