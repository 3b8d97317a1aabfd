// The memory peers of the live-router benchmarks, run in the lab router's namespace: bare node,
// and node with node-pcap's own wrapper and one live capture on br0 with the daemon's buffer
// (capture_buffer 4096 KiB), the floor of any Node capture daemon. Each prints its own
// /proc/self/status after PEER_SETTLE_MS and exits.
import { resolve } from 'node:path';
import type { DaemonLab } from '../test/lab/daemon-lab';
import { statusMemory, type StatusMemory } from './lab-proc';

/** Time for a peer to settle after its start before its memory is read, ms. */
export const PEER_SETTLE_MS = 5000;

const REPORT = `setTimeout(() => { process.stdout.write(require('fs').readFileSync('/proc/self/status', 'utf8')); process.exit(0); }, ${PEER_SETTLE_MS});`;

const PCAP_PEER = `const pcap = require(${JSON.stringify(resolve(__dirname, '..', 'node_modules/pcap'))}); let n = 0;
const s = pcap.createSession('br0', { filter: 'tcp or arp or icmp', buffer_size: 4 << 20, buffer_timeout: 0, snap_length: 256, promiscuous: false });
s.on('packet', () => { n++; });
${REPORT}`;

/** A peer's memory: 'bare' node, or 'pcap' (node + pcap, one live capture on br0). */
export async function peerMemory(lab: DaemonLab, which: 'bare' | 'pcap'): Promise<StatusMemory> {
  const argv = [process.execPath, '-e', which === 'bare' ? REPORT : PCAP_PEER];
  const r = await lab.lab.exec('r', argv, { timeoutMs: PEER_SETTLE_MS + 20_000 });
  if (r.code !== 0) throw new Error(`peer ${which} failed: ${r.stderr}`);
  return statusMemory(r.stdout);
}
