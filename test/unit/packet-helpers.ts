// Shared by the packet-*.test.ts suites: a sink that records what the decoder reported.
import { formatIPv6 } from '../../src/net/ipv6';
import { NullObservations } from '../../src/net/observations';
import { FrameDecoder } from '../../src/packet/dispatch';
import { decodeOutcomes } from '../../src/packet/stats';

export type Observation =
  | { kind: 'syn'; t: number; client: number; server: number; sport: number; dport: number; seq: number; clientMac: number }
  | { kind: 'synAck'; t: number; server: number; client: number; sport: number; dport: number; ack: number }
  | { kind: 'reset'; t: number; server: number; client: number; sport: number; dport: number }
  | { kind: 'icmpUnreachable'; t: number; reporter: number; reporterMac: number; client: number; server: number; code: number; proto: number; sport: number; dport: number }
  | { kind: 'arpRequest'; t: number; sender: number; target: number }
  | { kind: 'arpReply'; t: number; sender: number; senderMac: number }
  // IPv6 addresses as RFC 5952 text: the offsets are only valid during the call.
  | { kind: 'syn6'; t: number; client: string; server: string; sport: number; dport: number; seq: number; clientMac: number }
  | { kind: 'synAck6'; t: number; server: string; client: string; sport: number; dport: number; ack: number }
  | { kind: 'reset6'; t: number; server: string; client: string; sport: number; dport: number }
  | { kind: 'icmp6Unreachable'; t: number; reporter: string; reporterMac: number; client: string; server: string; code: number; proto: number; sport: number; dport: number }
  | { kind: 'neighbourSolicit'; t: number; sender: string; target: string }
  | { kind: 'neighbourAdvert'; t: number; target: string; targetMac: number };

/** Records every observation, IPv6 addresses as text. */
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
  override syn6(t: number, bytes: Uint8Array, clientOff: number, serverOff: number, sport: number, dport: number, seq: number, clientMac: number): void {
    this.seen.push({ kind: 'syn6', t, client: formatIPv6(bytes, clientOff), server: formatIPv6(bytes, serverOff), sport, dport, seq, clientMac });
  }
  override synAck6(t: number, bytes: Uint8Array, serverOff: number, clientOff: number, sport: number, dport: number, ack: number): void {
    this.seen.push({ kind: 'synAck6', t, server: formatIPv6(bytes, serverOff), client: formatIPv6(bytes, clientOff), sport, dport, ack });
  }
  override reset6(t: number, bytes: Uint8Array, serverOff: number, clientOff: number, sport: number, dport: number): void {
    this.seen.push({ kind: 'reset6', t, server: formatIPv6(bytes, serverOff), client: formatIPv6(bytes, clientOff), sport, dport });
  }
  override icmp6Unreachable(t: number, bytes: Uint8Array, reporterOff: number, reporterMac: number, clientOff: number, serverOff: number, code: number, proto: number, sport: number, dport: number): void {
    this.seen.push({
      kind: 'icmp6Unreachable', t, reporter: formatIPv6(bytes, reporterOff), reporterMac,
      client: formatIPv6(bytes, clientOff), server: formatIPv6(bytes, serverOff), code, proto, sport, dport,
    });
  }
  override neighbourSolicit(t: number, bytes: Uint8Array, senderOff: number, targetOff: number): void {
    this.seen.push({ kind: 'neighbourSolicit', t, sender: formatIPv6(bytes, senderOff), target: formatIPv6(bytes, targetOff) });
  }
  override neighbourAdvert(t: number, bytes: Uint8Array, targetOff: number, targetMac: number): void {
    this.seen.push({ kind: 'neighbourAdvert', t, target: formatIPv6(bytes, targetOff), targetMac });
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
    if (key === 'frames' || key === 'malformed' || key === 'unsupportedLinktypes') continue;
    if (value !== 0) out.push(key);
  }
  for (const [key, value] of Object.entries(stats.malformed)) if (value !== 0) out.push(`malformed.${key}`);
  return out;
}

export { decodeOutcomes };
