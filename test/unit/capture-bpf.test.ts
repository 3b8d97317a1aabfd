// The capture filters, compiled by the real libpcap (node-pcap reading a capture file with the
// filter applied, no root needed) and run over frames of every kind the router sees: what
// passes is what the detectors get.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePrefix, parseIPv4, type Prefix } from '../../src/net/ipv4';
import { captureFilter, clientSideFilter, MAX_FILTER_TARGETS, serverSideFilter, type FilterScope } from '../../src/capture/bpf';
import {
  arpReplyFrame, arpRequestFrame, ethernet, icmpEcho, icmpUnreachable, tcpData, tcpRst, tcpSyn, tcpSynAck, udpPacket,
} from '../../src/packet/generate';
import { ETHERTYPE_IPV4 } from '../../src/packet/ethernet';
import { LINKTYPE_ETHERNET } from '../../src/packet/linktype';
import { writePcap } from '../../src/packet/pcapwrite';

type PcapModule = typeof import('pcap');
// require: the same way src/capture/live.ts loads the binding.
const pcap = require('pcap') as PcapModule;

const ROUTER = '192.0.2.1';
const ROUTER_S = '198.51.100.1';
const CLIENT = '192.0.2.10';
const SERVER = '198.51.100.10';
const OTHER = '198.51.100.99';
const IN_NET = '203.0.113.5';
const ROUTER_MAC = '02:00:c0:00:02:01';
const CLIENT_MAC = '02:00:c0:00:02:0a';
const SERVER_MAC = '02:00:c6:33:64:0a';

const ip = (text: string): number => parseIPv4(text) as number;
const net = (text: string): Prefix => parsePrefix(text) as Prefix;

function eth(ipPacket: Uint8Array, vid?: number): Uint8Array {
  return ethernet({ src: CLIENT_MAC, dst: ROUTER_MAC, vlans: vid === undefined ? [] : [{ vid }] }, ETHERTYPE_IPV4, ipPacket);
}

const syn = (server: string, client = CLIENT) => tcpSyn({ client, server, cport: 40000, sport: 80 });

/** Frames by name; each test says which ones its filter must pass. */
const frames: Record<string, Uint8Array> = {
  synToServer: eth(syn(SERVER)),
  synToOther: eth(syn(OTHER)),
  synToNet: eth(syn(IN_NET)),
  synAckFromServer: eth(tcpSynAck({ client: CLIENT, server: SERVER, cport: 40000, sport: 80 })),
  rstFromServer: eth(tcpRst({ client: CLIENT, server: SERVER, cport: 40000, sport: 81 })),
  rstFromOther: eth(tcpRst({ client: CLIENT, server: OTHER, cport: 40000, sport: 81 })),
  dataToServer: eth(tcpData({ src: CLIENT, dst: SERVER, sport: 40000, dport: 80 })),
  icmpAboutServer: eth(icmpUnreachable({ reporter: ROUTER, original: syn(SERVER) })),
  icmpAboutNet: eth(icmpUnreachable({ reporter: ROUTER, original: syn(IN_NET) })),
  icmpAboutOther: eth(icmpUnreachable({ reporter: ROUTER, original: syn(OTHER) })),
  icmpEcho: eth(icmpEcho(CLIENT, SERVER)),
  // A client's forgery: "host unreachable" for the server, from the client's own address.
  icmpForgedByClient: eth(icmpUnreachable({ reporter: CLIENT, original: syn(SERVER) })),
  udpToServer: eth(udpPacket({ src: CLIENT, dst: SERVER, sport: 5000, dport: 53 })),
  // The router's own connection (a TCP probe) and its own answer to a client.
  synFromRouter: eth(syn(SERVER, ROUTER_S)),
  synAckFromRouter: eth(tcpSynAck({ client: CLIENT, server: ROUTER, cport: 40001, sport: 443 })),
  vlanSynToServer: eth(syn(SERVER), 10),
  vlanIcmpAboutServer: eth(icmpUnreachable({ reporter: ROUTER, original: syn(SERVER) }), 10),
  arpWhoHasServer: arpRequestFrame(ROUTER_MAC, ROUTER_S, SERVER),
  arpServerReply: arpReplyFrame(SERVER_MAC, SERVER, ROUTER_MAC, ROUTER_S),
  arpWhoHasOther: arpRequestFrame(ROUTER_MAC, ROUTER_S, OTHER),
  arpWhoHasNet: arpRequestFrame(ROUTER_MAC, ROUTER_S, IN_NET),
  vlanArpWhoHasServer: arpRequestFrame(ROUTER_MAC, ROUTER_S, SERVER, { vlans: [{ vid: 10 }] }),
};
const names = Object.keys(frames);

const dir = mkdtempSync(join(tmpdir(), 'bs-cp-bpf-'));
const file = join(dir, 'frames.pcap');
writeFileSync(file, writePcap(LINKTYPE_ETHERNET, names.map((n, i) => ({ t: 1700000000 + i, bytes: frames[n] }))));

/** The names of the frames libpcap lets through `filter` (frame i has timestamp second i). */
function passing(filter: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const out: string[] = [];
    let session: ReturnType<PcapModule['createOfflineSession']>;
    try {
      session = pcap.createOfflineSession(file, { filter });
    } catch (err) {
      reject(new Error(`libpcap refused filter ${filter}: ${(err as Error).message}`));
      return;
    }
    const internals = session as unknown as { header: Buffer };
    session.on('packet', () => out.push(names[internals.header.readUInt32LE(0) - 1700000000]));
    session.on('complete', () => resolve(out));
  });
}

const own = [ip(ROUTER), ip(ROUTER_S)];
const watched: FilterScope = { servers: [ip(SERVER)], networks: [net('203.0.113.0/24')], ownAddresses: own, icmpSources: own };
const everything: FilterScope = { servers: [], networks: [], ownAddresses: own, icmpSources: own };

test('client side, watched servers: SYN/SYN-ACK/RST and ICMP unreachable about them only', async () => {
  assert.equal((await passing(clientSideFilter(watched))).sort(), [
    'icmpAboutNet', 'icmpAboutServer', 'rstFromServer', 'synAckFromServer', 'synToNet', 'synToServer',
    'vlanIcmpAboutServer', 'vlanSynToServer',
  ]);
});

test('client side, every server: all SYN/SYN-ACK/RST and ICMP unreachable, but not the router\'s own SYNs', async () => {
  assert.equal((await passing(clientSideFilter(everything))).sort(), [
    'icmpAboutNet', 'icmpAboutOther', 'icmpAboutServer', 'rstFromOther', 'rstFromServer', 'synAckFromRouter',
    'synAckFromServer', 'synToNet', 'synToOther', 'synToServer', 'vlanIcmpAboutServer', 'vlanSynToServer',
  ]);
});

test('ICMP errors from the router\'s addresses only: a client\'s forgery is not captured', async () => {
  assert.ok((await passing(clientSideFilter({ ...watched, icmpSources: undefined }))).includes('icmpForgedByClient'), 'any source without icmpSources');
  const got = await passing(clientSideFilter(watched));
  assert.equal(got.filter((n) => n.includes('Icmp') || n.startsWith('icmp')).sort(), ['icmpAboutNet', 'icmpAboutServer', 'vlanIcmpAboutServer']);
  // No router address known: no ICMP error at all, the rest as before.
  const none = await passing(clientSideFilter({ ...watched, icmpSources: [] }));
  assert.equal(none.sort(), ['rstFromServer', 'synAckFromServer', 'synToNet', 'synToServer', 'vlanSynToServer']);
});

test('the ICMP part is narrowed by the quoted destination, never by the outer host', () => {
  const icmpPart = clientSideFilter({ servers: [ip(SERVER)], networks: [], vlan: false }).split(' or (icmp')[1];
  assert.ok(icmpPart.includes('icmp[24:4] == 0xc633640a'), icmpPart);
  assert.not.ok(icmpPart.includes('host'), icmpPart);
});

test('server side: ARP about watched servers, tagged or not', async () => {
  assert.equal((await passing(serverSideFilter(watched))).sort(), [
    'arpServerReply', 'arpWhoHasNet', 'arpWhoHasServer', 'vlanArpWhoHasServer',
  ]);
  assert.equal((await passing(serverSideFilter(everything))).sort(), [
    'arpServerReply', 'arpWhoHasNet', 'arpWhoHasOther', 'arpWhoHasServer', 'vlanArpWhoHasServer',
  ]);
});

test('vlan: false leaves tagged frames out', async () => {
  const got = await passing(captureFilter(['client', 'server'], { ...watched, vlan: false }));
  assert.equal(got.filter((n) => n.startsWith('vlan')), []);
  assert.ok(got.includes('synToServer') && got.includes('arpWhoHasServer'));
});

test('an interface with both roles gets both filters', async () => {
  assert.equal((await passing(captureFilter(['client', 'server'], watched))).sort(), [
    'arpServerReply', 'arpWhoHasNet', 'arpWhoHasServer', 'icmpAboutNet', 'icmpAboutServer', 'rstFromServer',
    'synAckFromServer', 'synToNet', 'synToServer', 'vlanArpWhoHasServer', 'vlanIcmpAboutServer', 'vlanSynToServer',
  ]);
  assert.throws(() => captureFilter([], watched), /at least one role/);
});

test('too many watched targets: no narrowing, the engine chooses', async () => {
  const many: number[] = [];
  for (let i = 0; i <= MAX_FILTER_TARGETS; i++) many.push(ip('198.51.100.0') + 100 + i);
  const filter = clientSideFilter({ servers: many, networks: [] });
  assert.not.ok(filter.includes('host'));
  assert.ok((await passing(filter)).includes('synToOther'));
});

test('a server inside a watched network is not listed twice; a /0 network watches everything', () => {
  const f = serverSideFilter({ servers: [ip(IN_NET)], networks: [net('203.0.113.0/24')], vlan: false });
  assert.equal(f, 'arp and (net 203.0.113.0/24)');
  assert.equal(serverSideFilter({ servers: [ip(SERVER)], networks: [net('0.0.0.0/0')], vlan: false }), 'arp');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
