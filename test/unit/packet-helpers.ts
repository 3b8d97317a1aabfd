// Shared by the packet-*.test.ts suites: a sink that records what the decoder reported.
import { NullObservations } from '../../src/net/observations';
import { FrameDecoder } from '../../src/packet/dispatch';
import { decodeOutcomes } from '../../src/packet/stats';

export type Observation =
  | { kind: 'syn'; t: number; client: number; server: number; sport: number; dport: number; seq: number; clientMac: number }
  | { kind: 'synAck'; t: number; server: number; client: number; sport: number; dport: number; ack: number }
  | { kind: 'reset'; t: number; server: number; client: number; sport: number; dport: number }
  | { kind: 'icmpUnreachable'; t: number; reporter: number; reporterMac: number; client: number; server: number; code: number; proto: number; sport: number; dport: number }
  | { kind: 'arpRequest'; t: number; sender: number; target: number }
  | { kind: 'arpReply'; t: number; sender: number; senderMac: number };

/** Records the IPv4 observations (IPv6 ones are dropped until their decoders exist). */
export class RecordingObservations extends NullObservations {
  readonly seen: Observation[] = [];
  override syn(t: number, client: number, server: number, sport: number, dport: number, seq: number, clientMac: number): void {
    this.seen.push({ kind: 'syn', t, client, server, sport, dport, seq, clientMac });
  }
  override synAck(t: number, server: number, client: number, sport: number, dport: number, ack: number): void {
    this.seen.push({ kind: 'synAck', t, server, client, sport, dport, ack });
  }
  override reset(t: number, server: number, client: number, sport: number, dport: number): void {
    this.seen.push({ kind: 'reset', t, server, client, sport, dport });
  }
  override icmpUnreachable(t: number, reporter: number, reporterMac: number, client: number, server: number, code: number, proto: number, sport: number, dport: number): void {
    this.seen.push({ kind: 'icmpUnreachable', t, reporter, reporterMac, client, server, code, proto, sport, dport });
  }
  override arpRequest(t: number, sender: number, target: number): void {
    this.seen.push({ kind: 'arpRequest', t, sender, target });
  }
  override arpReply(t: number, sender: number, senderMac: number): void {
    this.seen.push({ kind: 'arpReply', t, sender, senderMac });
  }
}

/** Decodes one frame with a fresh decoder; returns what it reported and its stats. */
export function decodeOne(linktype: number, frame: Uint8Array, t = 1_700_000_000.5) {
  const sink = new RecordingObservations();
  const decoder = new FrameDecoder(sink);
  decoder.frame(linktype, frame, 0, frame.length, t);
  return { seen: sink.seen, stats: decoder.stats };
}

/** Names of the counters that are non-zero, malformed ones as "malformed.reason". */
export function countedAs(stats: FrameDecoder['stats']): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(stats)) {
    if (key === 'frames' || key === 'malformed') continue;
    if (value !== 0) out.push(key);
  }
  for (const [key, value] of Object.entries(stats.malformed)) if (value !== 0) out.push(`malformed.${key}`);
  return out;
}

export { decodeOutcomes };
