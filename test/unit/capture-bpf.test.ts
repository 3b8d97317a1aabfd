// The capture filters, compiled by the real libpcap (node-pcap reading a capture file with the
// filter applied, no root needed) and run over frames of every kind the router sees: what
// passes is what the detectors get.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIPv4 } from '../../src/net/ipv4';
import { ipFromV4, parseIp, parseIpPrefix, type IpAddress, type IpPrefix } from '../../src/net/ip';
import { captureFilter, clientSideFilter, MAX_FILTER_TARGETS, serverSideFilter, type FilterScope } from '../../src/capture/bpf';
import {
  arpReplyFrame, arpRequestFrame, ethernet, icmp6Echo, icmp6Unreachable, icmpEcho, icmpUnreachable, neighbourAdvertisement,
  neighbourSolicitation, tcpData, tcpRst, tcpSyn, tcpSynAck, udpPacket,
} from '../../src/packet/generate';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../../src/packet/ethernet';
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

const ip = (text: string): IpAddress => parseIp(text) as IpAddress;
const own = (text: string): number => parseIPv4(text) as number;
const net = (text: string): IpPrefix => parseIpPrefix(text) as IpPrefix;

const ROUTER6 = '2001:db8:c::1';
const ROUTER6_S = '2001:db8:5::1';
const CLIENT6 = '2001:db8:c::10';
const SERVER6 = '2001:db8:5::10';
const OTHER6 = '2001:db8:5::99';
const IN_NET6 = '2001:db8:7::5';

function eth(ipPacket: Uint8Array, vid?: number, etherType = ETHERTYPE_IPV4): Uint8Array {
  return ethernet({ src: CLIENT_MAC, dst: ROUTER_MAC, vlans: vid === undefined ? [] : [{ vid }] }, etherType, ipPacket);
}

const eth6 = (ipPacket: Uint8Array, vid?: number): Uint8Array => eth(ipPacket, vid, ETHERTYPE_IPV6);

const syn = (server: string, client = CLIENT) => tcpSyn({ client, server, cport: 40000, sport: 80 });
const syn6 = (server: string, client = CLIENT6) => tcpSyn({ client, server, cport: 40000, sport: 80 });

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
  v6SynToServer: eth6(syn6(SERVER6)),
  v6SynToOther: eth6(syn6(OTHER6)),
  v6SynToNet: eth6(syn6(IN_NET6)),
  v6SynAckFromServer: eth6(tcpSynAck({ client: CLIENT6, server: SERVER6, cport: 40000, sport: 80 })),
  v6RstFromServer: eth6(tcpRst({ client: CLIENT6, server: SERVER6, cport: 40000, sport: 81 })),
  v6DataToServer: eth6(tcpData({ src: CLIENT6, dst: SERVER6, sport: 40000, dport: 80 })),
  v6IcmpAboutServer: eth6(icmp6Unreachable({ reporter: ROUTER6, original: syn6(SERVER6) })),
  v6IcmpAboutNet: eth6(icmp6Unreachable({ reporter: ROUTER6, original: syn6(IN_NET6) })),
  v6IcmpAboutOther: eth6(icmp6Unreachable({ reporter: ROUTER6, original: syn6(OTHER6) })),
  v6Echo: eth6(icmp6Echo(CLIENT6, SERVER6)),
  // A client's forgery: "address unreachable" for the server, from the client's own address.
  v6IcmpForgedByClient: eth6(icmp6Unreachable({ reporter: CLIENT6, original: syn6(SERVER6) })),
  v6NsForServer: eth6(neighbourSolicitation({ src: ROUTER6_S, target: SERVER6, srcMac: ROUTER_MAC })),
  v6NaFromServer: eth6(neighbourAdvertisement({ src: SERVER6, dst: ROUTER6_S, targetMac: SERVER_MAC, solicited: true })),
  v6NsForOther: eth6(neighbourSolicitation({ src: ROUTER6_S, target: OTHER6, srcMac: ROUTER_MAC })),
  vlanV6SynToServer: eth6(syn6(SERVER6), 10),
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

const own4 = [own(ROUTER), own(ROUTER_S)];
const routers = [ip(ROUTER), ip(ROUTER_S), ip(ROUTER6), ip(ROUTER6_S)];
const watched: FilterScope = { servers: [ip(SERVER)], networks: [net('203.0.113.0/24')], ownAddresses: own4, icmpSources: routers };
const everything: FilterScope = { servers: [], networks: [], ownAddresses: own4, icmpSources: routers };
const watched6: FilterScope = { servers: [ip(SERVER), ip(SERVER6)], networks: [net('2001:db8:7::/48')], ownAddresses: own4, icmpSources: routers };

test('client side, watched servers: SYN/SYN-ACK/RST and ICMP unreachable about them only', async () => {
  assert.equal((await passing(clientSideFilter(watched))).sort(), [
    'icmpAboutNet', 'icmpAboutServer', 'rstFromServer', 'synAckFromServer', 'synToNet', 'synToServer',
    'vlanIcmpAboutServer', 'vlanSynToServer',
  ]);
});

test('client side, every server: all SYN/SYN-ACK/RST and ICMP unreachable, but not the router\'s own SYNs', async () => {
  assert.equal((await passing(clientSideFilter(everything))).sort(), [
    'icmpAboutNet', 'icmpAboutOther', 'icmpAboutServer', 'rstFromOther', 'rstFromServer', 'synAckFromRouter',
    'synAckFromServer', 'synToNet', 'synToOther', 'synToServer', 'v6IcmpAboutNet', 'v6IcmpAboutOther', 'v6IcmpAboutServer',
    'v6RstFromServer', 'v6SynAckFromServer', 'v6SynToNet', 'v6SynToOther', 'v6SynToServer', 'vlanIcmpAboutServer',
    'vlanSynToServer', 'vlanV6SynToServer',
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

test('ICMPv6 errors from the router\'s IPv6 addresses only; no IPv6 router address: no ICMPv6 error', async () => {
  const icmp6 = (got: string[]): string[] => got.filter((n) => n.startsWith('v6Icmp')).sort();
  assert.ok((await passing(clientSideFilter({ ...watched6, icmpSources: undefined }))).includes('v6IcmpForgedByClient'), 'any source without icmpSources');
  assert.equal(icmp6(await passing(clientSideFilter(watched6))), ['v6IcmpAboutNet', 'v6IcmpAboutServer']);
  // only IPv4 router addresses known: ICMPv6 errors are all left out, ICMP ones still taken
  const v4only = await passing(clientSideFilter({ ...watched6, icmpSources: [ip(ROUTER), ip(ROUTER_S)] }));
  assert.equal(icmp6(v4only), []);
  assert.ok(v4only.includes('icmpAboutServer') && v4only.includes('v6SynToServer'));
  // and the other way round
  const v6only = await passing(clientSideFilter({ ...watched6, icmpSources: [ip(ROUTER6)] }));
  assert.equal(icmp6(v6only), ['v6IcmpAboutNet', 'v6IcmpAboutServer']);
  assert.not.ok(v6only.includes('icmpAboutServer'));
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
    'arpServerReply', 'arpWhoHasNet', 'arpWhoHasOther', 'arpWhoHasServer', 'v6NaFromServer', 'v6NsForOther', 'v6NsForServer',
    'vlanArpWhoHasServer',
  ]);
});

test('IPv6, watched servers: SYN/SYN-ACK/RST and ICMPv6 unreachable about them (quoted destination), ND for them', async () => {
  assert.equal((await passing(clientSideFilter(watched6))).filter((n) => /v6/i.test(n)).sort(), [
    'v6IcmpAboutNet', 'v6IcmpAboutServer', 'v6RstFromServer', 'v6SynAckFromServer', 'v6SynToNet', 'v6SynToServer', 'vlanV6SynToServer',
  ]);
  assert.equal((await passing(serverSideFilter(watched6))).filter((n) => /v6/i.test(n)).sort(), ['v6NaFromServer', 'v6NsForServer']);
  // the IPv4 side keeps its own narrowing
  assert.ok((await passing(clientSideFilter(watched6))).includes('synToServer'));
});

test('IPv6: no IPv6 server watched (only IPv4 ones) leaves IPv6 out; only IPv6 ones leave IPv4 out', async () => {
  assert.equal((await passing(captureFilter(['client', 'server'], watched))).filter((n) => /v6/i.test(n)), []);
  const only6 = await passing(captureFilter(['client', 'server'], { servers: [ip(SERVER6)], networks: [], icmpSources: routers }));
  assert.equal(only6.sort(), ['v6IcmpAboutServer', 'v6NaFromServer', 'v6NsForServer', 'v6RstFromServer', 'v6SynAckFromServer', 'v6SynToServer', 'vlanV6SynToServer']);
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
  const many: IpAddress[] = [];
  for (let i = 0; i <= MAX_FILTER_TARGETS; i++) many.push(ipFromV4(own('198.51.100.0') + 100 + i));
  const filter = clientSideFilter({ servers: many, networks: [] });
  assert.not.ok(filter.includes('host'));
  assert.ok((await passing(filter)).includes('synToOther'));
});

test('a server inside a watched network is not listed twice; a /0 network watches everything', () => {
  const f = serverSideFilter({ servers: [ip(IN_NET)], networks: [net('203.0.113.0/24')], vlan: false });
  assert.equal(f, 'arp and (net 203.0.113.0/24)');
  const f6 = serverSideFilter({ servers: [ip(IN_NET6)], networks: [net('2001:db8:7::/48')], vlan: false });
  assert.equal(f6.match(/ip6\[48:4\]/g)?.length, 1, f6);
  assert.equal(serverSideFilter({ servers: [ip(SERVER)], networks: [net('0.0.0.0/0')], vlan: false }), 'arp');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
