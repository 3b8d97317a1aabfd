// What the packet decoders tell the engine. One method per kind of observation, numbers only,
// so the hot path allocates nothing. Times are Unix seconds (float); addresses are IPv4 as
// unsigned 32-bit numbers; MACs are 48-bit numbers, 0 when not known.

export interface Observations {
  /** A client opens a TCP connection (SYN without ACK). */
  syn(t: number, client: number, server: number, sport: number, dport: number, seq: number, clientMac: number): void;
  /** The server accepts (SYN+ACK); `ack` must be the SYN's seq + 1 to answer it. */
  synAck(t: number, server: number, client: number, sport: number, dport: number, ack: number): void;
  /** The server refuses (RST from the server's address): it is alive, the port is closed. */
  reset(t: number, server: number, client: number, sport: number, dport: number): void;
  /**
   * ICMP destination unreachable sent by `reporter` to `client` about a packet that client
   * sent to `server` (read from the original header quoted inside the ICMP message).
   * `proto` is the quoted IP protocol; ports are 0 when the quoted transport is not TCP/UDP.
   */
  icmpUnreachable(t: number, reporter: number, client: number, server: number, code: number, proto: number, sport: number, dport: number): void;
  /** Someone (normally the router) asks who has `target`. */
  arpRequest(t: number, sender: number, target: number): void;
  /** `sender` answers an ARP request: it is on the wire. */
  arpReply(t: number, sender: number, senderMac: number): void;
}

/** A no-op implementation, handy as a base for decoders' tests and benchmarks. */
export class NullObservations implements Observations {
  syn(): void {}
  synAck(): void {}
  reset(): void {}
  icmpUnreachable(): void {}
  arpRequest(): void {}
  arpReply(): void {}
}
