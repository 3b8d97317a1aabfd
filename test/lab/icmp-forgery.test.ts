// Forged ICMP errors against the real daemon: a LAN client sends "host unreachable for
// 198.51.100.10" quoting another client's SYN, from a raw packet socket, in the three ways a
// client can: to the router, through the router to the other client (the router forwards it,
// so it leaves by br0 with the router's MAC), and with the router's own address as source.
// None may mark the server down (before: the first alone did); the router's own error, when
// the server is really gone, does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { internetChecksum } from '../../src/packet/checksum';
import { ETHERTYPE_IPV4 } from '../../src/packet/ethernet';
import { ethernet, icmpUnreachable, tcpSyn } from '../../src/packet/generate';
import { BUNDLE, withDaemonLab, type DaemonLab } from './daemon-lab';

const SERVER = '198.51.100.10';
const VICTIM = '192.0.2.10';
const ROUTER = '192.0.2.1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** "Host unreachable for SERVER", quoting VICTIM's SYN, from `source` to `to`, in a frame to the router's MAC. */
function forgedFrame(lab: DaemonLab, source: string, to: string): Uint8Array {
  const packet = icmpUnreachable({ reporter: source, original: tcpSyn({ client: VICTIM, server: SERVER, cport: 40000, sport: 80 }) });
  // The error goes back to the SYN's sender; aimed elsewhere, the destination and checksum change.
  to.split('.').forEach((octet, i) => { packet[16 + i] = Number(octet); });
  packet[10] = 0; packet[11] = 0;
  const sum = internetChecksum(packet, 0, 20);
  packet[10] = sum >>> 8; packet[11] = sum & 255;
  return ethernet({ src: lab.lab.mac('c1'), dst: lab.lab.mac('r', 'br0') }, ETHERTYPE_IPV4, packet);
}

/** Sends one frame from client c1's eth0 through a raw packet socket. */
async function sendFrame(lab: DaemonLab, frame: Uint8Array): Promise<void> {
  const script = 'import socket,sys\ns=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\ns.bind((sys.argv[1],0))\ns.send(bytes.fromhex(sys.argv[2]))';
  const r = await lab.lab.exec('c1', ['python3', '-c', script, 'eth0', Buffer.from(frame).toString('hex')]);
  assert.is(r.code, 0, r.stderr);
}

const forged = (s: any): number => s.engine.icmpForged.address + s.engine.icmpForged.mac;

test('forged ICMP host unreachable from a client marks nothing down; the router\'s own error does', async () => {
  await withDaemonLab('icmp-forge', { clients: 1, serverSide: false, mainOptions: { probe_interval: '600' } }, async (lab) => {
    await lab.start();
    let s = await lab.status();
    assert.ok(s.routerAddresses!.includes(ROUTER) && s.routerAddresses!.includes('198.51.100.1'), JSON.stringify(s.routerAddresses));
    assert.not.ok(s.routerAddresses!.includes('127.0.0.1'), 'loopback never counts');
    assert.is(forged(s), 0);

    // 1. To the router itself, from the client's own address: the capture does not take it.
    await sendFrame(lab, forgedFrame(lab, lab.lab.ip('c1'), ROUTER));
    // 2. Through the router to the victim: the router forwards it out of br0 with its own MAC;
    //    the IP source still gives it away, and the capture does not take it.
    await sendFrame(lab, forgedFrame(lab, lab.lab.ip('c1'), VICTIM));
    // 3. The router's address as source: captured, but the frame comes from the client's MAC.
    await sendFrame(lab, forgedFrame(lab, ROUTER, VICTIM));
    await lab.statusWhen((r) => forged(r) >= 1, 'the forgery with the router\'s address counted as forged');
    await sleep(1000);
    s = await lab.status();
    assert.equal(s.outages, [], 'no outage: nobody is waiting, the server is up');
    assert.is(s.waitingClients, 0);
    assert.equal(s.engine.icmpForged, { address: 0, mac: 1 });
    assert.is(s.engine.downs['icmp-unreachable'], 0);
    assert.match(lab.log, /router addresses \(ICMP errors count only from these\): .*192\.0\.2\.1/);
    // The server answers all along.
    assert.is((await lab.curl('c', 5)).code, 0);

    // The real thing: the server is gone, a client tries, the router's ARP goes unanswered
    // and it sends host unreachable itself.
    await lab.lab.serverGone('addr');
    // Forget the server's MAC, as if it had never been asked: the router asks anew.
    await lab.lab.exec('r', ['ip', 'neigh', 'flush', 'dev', 's0']);
    await lab.curlUnreachable('c', 6);
    await lab.waitForLog(/server 198\.51\.100\.10 is down \(icmp-unreachable\)/, 10_000);
    s = await lab.status();
    assert.equal(s.outages.map((o: any) => [o.server, o.cause, o.clients.map((c: any) => c.client)]), [[SERVER, 'icmp-unreachable', [VICTIM]]]);
    assert.equal(s.engine.icmpForged, { address: 0, mac: 1 }, 'the router\'s errors are not forged');
    const metrics = await lab.lab.exec('r', [process.execPath, BUNDLE, 'metrics', '--socket', lab.socket]);
    assert.match(metrics.stdout, /backsoon_icmp_forged_total\{reason="mac"\} 1/);
  });
});

test.run();
