// The parts of the live capture that need no root: node-pcap's link type names and packet
// header, the sessions' roles per interface, and the errors a misconfigured capture gives.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NullObservations } from '../../src/net/observations';
import { interfaceRoles, LiveCapture, openErrorMessage } from '../../src/capture/live';
import { linktypeFromPcap, PcapHeader, plausibleCaptureTime } from '../../src/capture/live-pcap';
import { isSupportedLinktype, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from '../../src/packet/linktype';

test('node-pcap link type names map to the numbers FrameDecoder takes', () => {
  assert.is(linktypeFromPcap('LINKTYPE_ETHERNET'), LINKTYPE_ETHERNET);
  assert.is(linktypeFromPcap('LINKTYPE_LINUX_SLL'), LINKTYPE_LINUX_SLL);
  assert.is(linktypeFromPcap('LINKTYPE_RAW'), LINKTYPE_RAW);
  // node-pcap names only five DLTs; SLL2 (what libpcap 1.10 may give on "any") comes as text.
  assert.is(linktypeFromPcap('Unknown linktype 276'), LINKTYPE_LINUX_SLL2);
  for (const name of ['LINKTYPE_ETHERNET', 'LINKTYPE_LINUX_SLL', 'LINKTYPE_RAW', 'Unknown linktype 276']) {
    assert.ok(isSupportedLinktype(linktypeFromPcap(name)), name);
  }
  // Loopback of BSDs and radiotap: known names, but nothing we decode.
  assert.not.ok(isSupportedLinktype(linktypeFromPcap('LINKTYPE_NULL')));
  assert.not.ok(isSupportedLinktype(linktypeFromPcap('LINKTYPE_IEEE802_11_RADIO')));
  assert.is(linktypeFromPcap('something else'), -1);
  assert.is(linktypeFromPcap('Unknown linktype '), -1);
});

test('the packet header gives time and captured length, in the host byte order', () => {
  const le = Buffer.alloc(16);
  le.writeUInt32LE(1700000123, 0);
  le.writeUInt32LE(456789, 4);
  le.writeUInt32LE(60, 8);
  le.writeUInt32LE(1514, 12);
  const header = new PcapHeader(le, true);
  assert.is(header.time(), 1700000123.456789);
  assert.is(header.caplen(), 60);
  // One view over the buffer, read again for the next packet written into it.
  le.writeUInt32LE(1700000124, 0);
  le.writeUInt32LE(74, 8);
  assert.is(header.time(), 1700000124.456789);
  assert.is(header.caplen(), 74);
  const be = Buffer.alloc(16);
  be.writeUInt32BE(1700000123, 0);
  be.writeUInt32BE(500000, 4);
  be.writeUInt32BE(42, 8);
  assert.is(new PcapHeader(be, false).time(), 1700000123.5);
  assert.is(new PcapHeader(be, false).caplen(), 42);
  // A header inside a larger buffer (node-pcap's is its own, but a pool slice must work too).
  const pooled = Buffer.concat([Buffer.alloc(3), le]).subarray(3);
  assert.is(new PcapHeader(pooled, true).time(), 1700000124.456789);
});

test('an unreadable header time (the high half of a 64-bit time_t) is caught', () => {
  const now = 1700000000;
  assert.ok(plausibleCaptureTime(now - 0.2, now));
  assert.not.ok(plausibleCaptureTime(0, now));
  assert.not.ok(plausibleCaptureTime(0.000001, now));
});

test('an interface named in both lists gets one session with both roles', () => {
  const roles = interfaceRoles(['br-lan', 'lan2'], ['eth1', 'br-lan', 'eth1']);
  assert.equal([...roles.entries()], [['br-lan', ['client', 'server']], ['lan2', ['client']], ['eth1', ['server']]]);
});

test('a missing interface: one sentence naming it, its option and the fix', () => {
  for (const name of ['bs-cp-nosuch0', '../lo', '']) {
    try {
      LiveCapture.open(new NullObservations(), {
        clientInterfaces: [], serverInterfaces: [name], scope: { servers: [], networks: [] }, log: () => {},
      });
      assert.unreachable(`opened ${name}`);
    } catch (err) {
      const msg = (err as Error).message;
      assert.ok(msg.includes(`interface '${name}'`) && msg.includes('list server_interface') && msg.includes("'ip link'"), msg);
      assert.not.ok(msg.includes('\n'), msg);
    }
  }
});

test('libpcap open errors become messages that name the interface and the fix', () => {
  const perm = openErrorMessage('br-lan', ['client'], 'socket: Operation not permitted', 'arp');
  assert.ok(perm.includes('br-lan') && perm.includes('list interface') && perm.includes('CAP_NET_RAW'), perm);
  const down = openErrorMessage('eth1', ['server'], 'That device is not up', 'arp');
  assert.ok(down.includes('ip link set eth1 up'), down);
  const gone = openErrorMessage('eth1', ['server'], 'No such device exists', 'arp');
  assert.ok(gone.includes('does not exist'), gone);
  const filter = openErrorMessage('eth1', ['server'], 'syntax error in filter expression', 'arp and hostt');
  assert.ok(filter.includes('bug') && filter.includes('arp and hostt'), filter);
});

test.run();
