// Capture files: what writePcap/writePcapng write, forEachPacket reads back (bytes, link types,
// interfaces, timestamps to the microsecond); tcpdump reads them too; a broken structure
// throws CaptureFormatError naming the byte offset; a file cut short is read up to the cut;
// records with an invalid timestamp are skipped and longer ones cut to the snap length.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as g from '../../src/packet/generate';
import { CaptureFormatError, forEachPacket, writePcap, writePcapng, type CaptureInfo } from '../../src/packet/pcapfile';

const hs = { client: '192.0.2.10', server: '198.51.100.20', cport: 40000, sport: 80, seq: 77 };
const syn = g.tcpSyn(hs);
const ethSyn = g.ethernet({ src: '02:00:00:00:00:0a' }, 0x0800, syn);
const arpReq = g.arpRequestFrame('02:00:00:00:00:01', '198.51.100.1', '198.51.100.20', { pad: true });
const sll2Syn = g.sll2({ addr: '02:00:00:00:00:0a' }, 0x0800, syn);

interface Read { linktype: number; bytes: number[]; t: number; iface: number }

function readAll(file: Uint8Array): { info: CaptureInfo; packets: Read[] } {
  const packets: Read[] = [];
  const info = forEachPacket(file, (linktype, data, off, len, t, iface) => {
    assert.ok(data === file, 'data is the file buffer itself');
    packets.push({ linktype, bytes: [...data.subarray(off, off + len)], t, iface });
  });
  return { info, packets };
}

/** Times that stress rounding: just below a second, exact microseconds, a 2038+ date. */
const TIMES = [1_700_000_000.999999, 1_700_000_001.000001, 1_234_567_890.5, 0, 4_102_444_800.123456];
const usec = (t: number) => Math.round(t * 1e6);

for (const bigEndian of [false, true]) {
  for (const nanosecond of [false, true]) {
    test(`pcap round trip: ${bigEndian ? 'big' : 'little'}-endian, ${nanosecond ? 'nano' : 'micro'}seconds`, () => {
      const frames = TIMES.map((t, i) => ({ t, bytes: i % 2 ? arpReq : ethSyn }));
      const file = writePcap(1, frames, { bigEndian, nanosecond });
      assert.equal([...file.subarray(0, 4)], bigEndian
        ? (nanosecond ? [0xa1, 0xb2, 0x3c, 0x4d] : [0xa1, 0xb2, 0xc3, 0xd4])
        : (nanosecond ? [0x4d, 0x3c, 0xb2, 0xa1] : [0xd4, 0xc3, 0xb2, 0xa1]));
      const { info, packets } = readAll(file);
      assert.is(info.format, 'pcap');
      assert.is(info.bigEndian, bigEndian);
      assert.is(info.packets, TIMES.length);
      assert.equal(info.interfaces.map((i) => [i.linktype, i.tsresol]), [[1, nanosecond ? 9 : 6]]);
      packets.forEach((p, i) => {
        assert.equal(p.bytes, [...frames[i].bytes], `packet ${i} bytes`);
        assert.is(usec(p.t), usec(TIMES[i]), `packet ${i} time`);
        assert.equal([p.linktype, p.iface], [1, 0]);
      });
    });
  }
}

test('pcap: snaplen cuts packets and keeps the original length', () => {
  const file = writePcap(1, [{ t: 1, bytes: ethSyn }], { snaplen: 54 });
  const { info, packets } = readAll(file);
  assert.is(info.interfaces[0].snaplen, 54);
  assert.equal(packets[0].bytes, [...ethSyn.subarray(0, 54)]);
  assert.is(new DataView(file.buffer).getUint32(24 + 12, true), ethSyn.length, 'orig_len');
});

for (const bigEndian of [false, true]) {
  test(`pcapng round trip, ${bigEndian ? 'big' : 'little'}-endian: two interfaces with different link types and resolutions`, () => {
    const interfaces = [
      { linktype: 1, name: 'br-lan' },                  // default microseconds
      { linktype: 276, tsresol: 9, name: 'any' },       // nanoseconds
      { linktype: 101, tsresol: 0x80 | 30 },            // 2^-30 s
    ];
    const packets = [
      { iface: 0, t: TIMES[0], bytes: ethSyn },
      { iface: 1, t: TIMES[1], bytes: sll2Syn },
      { iface: 0, t: TIMES[2], bytes: arpReq },
      { iface: 2, t: TIMES[4], bytes: syn },
      { iface: 1, t: TIMES[3], bytes: sll2Syn.subarray(0, 23) }, // length not a multiple of 4
    ];
    const { info, packets: read } = readAll(writePcapng(interfaces, packets, { bigEndian }));
    assert.is(info.format, 'pcapng');
    assert.is(info.bigEndian, bigEndian);
    assert.is(info.sections, 1);
    assert.equal(info.interfaces.map((i) => [i.linktype, i.tsresol, i.name]), [[1, 6, 'br-lan'], [276, 9, 'any'], [101, 0x80 | 30, '']]);
    assert.is(read.length, packets.length);
    read.forEach((p, i) => {
      assert.equal(p.bytes, [...packets[i].bytes], `packet ${i} bytes`);
      assert.is(p.iface, packets[i].iface);
      assert.is(p.linktype, interfaces[packets[i].iface].linktype);
      assert.is(usec(p.t), usec(packets[i].t), `packet ${i} time`);
    });
  });
}

test('pcapng: a coarse power-of-2 resolution keeps time within half a unit', () => {
  const t = 1_700_000_000.123456;
  const { packets } = readAll(writePcapng([{ linktype: 1, tsresol: 0x80 | 10 }], [{ iface: 0, t, bytes: ethSyn }]));
  assert.ok(Math.abs(packets[0].t - t) <= 2 ** -11 + 1e-9, `read ${packets[0].t}`);
});

/** Builds pcapng blocks by hand for what the writer does not produce. */
function block(type: number, body: number[], le = true): number[] {
  const padded = [...body];
  while (padded.length % 4) padded.push(0);
  const len = padded.length + 12;
  const out = new Uint8Array(len);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, le); v.setUint32(4, len, le); out.set(padded, 8); v.setUint32(len - 4, len, le);
  return [...out];
}
const u16le = (x: number) => [x & 255, x >> 8];
const u32le = (x: number) => [x & 255, (x >> 8) & 255, (x >> 16) & 255, (x >>> 24) & 255];
const shb = () => block(0x0a0d0d0a, [...u32le(0x1a2b3c4d), ...u16le(1), ...u16le(0), 255, 255, 255, 255, 255, 255, 255, 255]);
const idb = (linktype: number, snaplen: number, options: number[] = []) => block(1, [...u16le(linktype), 0, 0, ...u32le(snaplen), ...options]);

test('pcapng: simple and obsolete packet blocks, unknown blocks skipped, if_tsoffset, a second section', () => {
  const tsoffset = [14, 0, 8, 0, ...u32le(1000), 0, 0, 0, 0, 0, 0, 0, 0]; // if_tsoffset = 1000 s, end of options
  const epb = (iface: number, high: number, low: number, data: number[]) => block(6, [...u32le(iface), ...u32le(high), ...u32le(low), ...u32le(data.length), ...u32le(data.length), ...data]);
  const file = Uint8Array.from([
    ...shb(),
    ...idb(1, 60, tsoffset),
    ...block(4, [1, 2, 3, 4]),                                   // name resolution: skipped
    ...block(3, [...u32le(ethSyn.length), ...ethSyn]),            // SPB, cut to snaplen 60
    ...block(0x40000bad, [9, 9, 9]),                               // unknown custom: skipped
    ...epb(0, 0, 5_000_000, [...arpReq]),                          // 5 s + 1000 s offset
    ...block(5, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),            // interface statistics
    ...block(2, [...u16le(0), ...u16le(0), ...u32le(0), ...u32le(7_500_000), ...u32le(syn.length), ...u32le(syn.length), ...syn]), // OPB
    ...shb(),
    ...idb(113, 0),
    ...epb(0, 0, 2_000_000, [...g.sll({}, 0x0800, syn)]),
  ]);
  const { info, packets } = readAll(file);
  assert.is(info.sections, 2);
  assert.equal(info.interfaces.map((i) => i.linktype), [1, 113]);
  assert.equal(packets.map((p) => [p.linktype, p.iface, p.bytes.length, p.t]), [
    [1, 0, 60, 0], [1, 0, arpReq.length, 1005], [1, 0, syn.length, 1007.5], [113, 1, 16 + syn.length, 2],
  ]);
  assert.equal(packets[0].bytes, [...ethSyn.subarray(0, 60)]);
});

function expectFormatError(file: Uint8Array, offset: number, pattern: RegExp): void {
  const seen: number[] = [];
  try {
    forEachPacket(file, (_lt, _d, off) => seen.push(off));
  } catch (err) {
    assert.instance(err, CaptureFormatError);
    const e = err as CaptureFormatError;
    assert.is(e.offset, offset, e.message);
    assert.match(e.message, new RegExp(`^byte ${offset}: `));
    assert.match(e.message, pattern);
    return;
  }
  assert.unreachable(`no CaptureFormatError; packets at ${seen.join(',')}`);
}

test('corrupt pcap files name the offset and the fault', () => {
  const good = writePcap(1, [{ t: 1, bytes: ethSyn }, { t: 2, bytes: arpReq }]);
  const second = 24 + 16 + ethSyn.length;
  expectFormatError(Uint8Array.of(1, 2), 0, /too short/);
  expectFormatError(Uint8Array.from([0x12, 0x34, 0x56, 0x78, ...new Uint8Array(40)]), 0, /bad magic 0x12345678/);
  expectFormatError(good.subarray(0, 20), 0, /truncated pcap file header/);
  const version = good.slice(); version[4] = 3;
  expectFormatError(version, 4, /unsupported pcap version 3/);
  const huge = good.slice(); new DataView(huge.buffer).setUint32(24 + 8, 0x7fffffff, true);
  expectFormatError(huge, 24, /invalid captured length 2147483647: above the file's snap length 262144/);
});

/** Reads a file that ends inside a record: the packets before the cut, and where it is. */
function expectCut(file: Uint8Array, packets: number, offset: number, pattern: RegExp): void {
  const { info } = readAll(file);
  assert.is(info.packets, packets);
  assert.ok(info.cutShort !== null, 'cutShort set');
  assert.is(info.cutShort!.offset, offset, info.cutShort!.message);
  assert.match(info.cutShort!.message, pattern);
}

test('a file cut short is read up to the cut, which says where it is (pcap and pcapng)', () => {
  const good = writePcap(1, [{ t: 1, bytes: ethSyn }, { t: 2, bytes: arpReq }]);
  const second = 24 + 16 + ethSyn.length;
  assert.is(readAll(good).info.cutShort, null);
  expectCut(good.subarray(0, second + 10), 1, second, /truncated packet record header: 16 bytes needed, 10 left \(file cut short\)/);
  expectCut(good.subarray(0, good.length - 1), 1, second, /truncated packet record: captured length 60 but 59 bytes left/);
  expectCut(good.subarray(0, 24 + 3), 0, 24, /truncated packet record header/);
  const ng = writePcapng([{ linktype: 1 }], [{ iface: 0, t: 1, bytes: ethSyn }, { iface: 0, t: 2, bytes: arpReq }]);
  const lastBlock = ng.length - (32 + arpReq.length);
  expectCut(ng.subarray(0, ng.length - 4), 1, lastBlock, /truncated block: type 0x6 says \d+ bytes, \d+ left/);
  expectCut(ng.subarray(0, lastBlock + 5), 1, lastBlock, /truncated block header: 12 bytes needed, 5 left/);
});

/** Offsets of each record header of a classic pcap file. */
function recordsOf(file: Uint8Array): number[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: number[] = [];
  for (let pos = 24; pos + 16 <= file.length; pos += 16 + view.getUint32(pos + 8, true)) out.push(pos);
  return out;
}

test('a record whose fraction of a second is out of range is skipped and counted, as libpcap marks it invalid', () => {
  for (const nanosecond of [false, true]) {
    const per = nanosecond ? 1e9 : 1e6;
    const file = writePcap(1, [{ t: 10, bytes: ethSyn }, { t: 11, bytes: arpReq }, { t: 12, bytes: ethSyn }, { t: 13, bytes: arpReq }], { nanosecond });
    const view = new DataView(file.buffer);
    const at = recordsOf(file);
    view.setUint32(at[1] + 4, 2 ** 31, true); // what tcpdump's timestamp_invalid_micro.pcap holds
    view.setUint32(at[2] + 4, per, true);
    view.setUint32(at[3] + 4, per - 1, true);
    const { info, packets } = readAll(file);
    assert.is(info.invalidTimestamps, 2, nanosecond ? 'ns' : 'us');
    assert.is(info.packets, 2);
    assert.equal(packets.map((p) => p.t), [10, 13 + (per - 1) / per]);
  }
});

test('a captured length above the snap length is cut to it, as libpcap does; the next record is still found', () => {
  const file = writePcap(1, [{ t: 1, bytes: ethSyn }, { t: 2, bytes: arpReq }]);
  new DataView(file.buffer).setUint32(16, 32, true); // the header now says snaplen 32
  const { info, packets } = readAll(file);
  assert.is(info.caplenClamped, 2);
  assert.equal(packets.map((p) => p.bytes), [[...ethSyn.subarray(0, 32)], [...arpReq.subarray(0, 32)]]);
  // Snap length 0 (some writers) means no limit but libpcap's own.
  new DataView(file.buffer).setUint32(16, 0, true);
  assert.equal(readAll(file).packets.map((p) => p.bytes.length), [ethSyn.length, arpReq.length]);
  const ng = writePcapng([{ linktype: 1, snaplen: 40 }], [{ iface: 0, t: 1, bytes: ethSyn }]);
  assert.equal(readAll(ng).packets.map((p) => p.bytes.length), [40]);
});

test('corrupt pcapng files name the offset and the fault', () => {
  const good = writePcapng([{ linktype: 1 }], [{ iface: 0, t: 1, bytes: ethSyn }]);
  const epbAt = 28 + 20;
  const edit = (pos: number, value: number) => { const b = good.slice(); new DataView(b.buffer).setUint32(pos, value, true); return b; };
  expectFormatError(edit(good.length - 4, 112), good.length - 4, /block length mismatch.*108.*112/);
  expectFormatError(edit(epbAt + 4, 13), epbAt + 4, /bad block length 13/);
  expectFormatError(edit(epbAt + 8, 1), epbAt + 8, /packet for interface 1, but the section describes only 1/);
  expectFormatError(edit(epbAt + 20, 1000), epbAt + 20, /captured length 1000 exceeds/);
  expectFormatError(edit(8, 0x11223344), 8, /bad byte-order magic/);
  expectFormatError(Uint8Array.from([...shb().slice(0, 12), 2, 0, 0, 0, ...shb().slice(16)]), 12, /unsupported pcapng version 2/);
  // An option that runs past its block.
  expectFormatError(Uint8Array.from([...shb(), ...idb(1, 0, [9, 0, 40, 0, 6, 0, 0, 0])]), 28 + 16, /option 9 of length 40/);
  // Packets before any interface.
  expectFormatError(Uint8Array.from([...shb(), ...block(3, [...u32le(4), 1, 2, 3, 4])]), 28, /before any interface/);
});

test('packets before a fault are delivered before the error', () => {
  const good = writePcap(1, [{ t: 1, bytes: ethSyn }, { t: 2, bytes: arpReq }]);
  new DataView(good.buffer).setUint32(24 + 16 + ethSyn.length + 8, 300_000, true);
  let count = 0;
  assert.throws(() => forEachPacket(good, () => count++), (e: unknown) => e instanceof CaptureFormatError);
  assert.is(count, 1);
});

test('tcpdump reads the generated files and finds every checksum correct', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-packet-'));
  try {
    const frames = [
      ethSyn,
      g.ethernet({}, 0x0800, g.tcpSynAck(hs)),
      g.ethernet({}, 0x0800, g.tcpRst(hs)),
      g.ethernet({ vlans: [{ vid: 100, tpid: 0x88a8 }, { vid: 200 }] }, 0x0800, g.icmpUnreachable({ reporter: '203.0.113.1', original: syn, code: 3, quoteLength: 548 })),
      g.ethernet({}, 0x0800, g.udpPacket({ src: '192.0.2.10', dst: '198.51.100.20', sport: 5000, dport: 123, data: new Uint8Array(48) })),
      g.ethernet({}, 0x0800, g.tcpData({ src: '192.0.2.10', dst: '198.51.100.20', sport: 40000, dport: 80, seq: 78, ack: 5001, data: new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n') })),
      arpReq,
      g.arpReplyFrame('02:00:00:00:00:14', '198.51.100.20', '02:00:00:00:00:01', '198.51.100.1'),
    ];
    const pcap = join(dir, 'gen.pcap');
    writeFileSync(pcap, writePcap(1, frames.map((bytes, i) => ({ t: 1_700_000_000 + i / 10, bytes }))));
    const out = execFileSync('tcpdump', ['-nr', pcap, '-vv'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.is((out.match(/cksum 0x[0-9a-f]+ \(correct\)/g) ?? []).length, 5, out);
    assert.match(out, /\[udp sum ok\]/);
    assert.match(out, /ICMP 198\.51\.100\.20 tcp port 80 unreachable/);
    assert.match(out, /Request who-has 198\.51\.100\.20 tell 198\.51\.100\.1/);
    assert.match(out, /Reply 198\.51\.100\.20 is-at 02:00:00:00:00:14/);
    assert.not.match(out, /bad|wrong|incorrect|truncated|\[\|/i);

    const ng = join(dir, 'gen.pcapng');
    writeFileSync(ng, writePcapng([{ linktype: 276, tsresol: 9, name: 'any' }], [{ iface: 0, t: 1_700_000_000.25, bytes: sll2Syn }], { bigEndian: true }));
    const ngOut = execFileSync('tcpdump', ['-nr', ng, '-vv', '-e', '--nano'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(ngOut, /\.250000000 .*In .*02:00:00:00:00:0a ethertype IPv4/);
    assert.match(ngOut, /192\.0\.2\.10\.40000 > 198\.51\.100\.20\.80: Flags \[S\], cksum 0x[0-9a-f]+ \(correct\), seq 77/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
