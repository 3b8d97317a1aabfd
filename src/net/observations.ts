// What the packet decoders tell the engine. One method per kind of observation and family,
// numbers only, so the hot path allocates nothing. Times are Unix seconds (float). IPv4
// addresses are unsigned 32-bit numbers; IPv6 addresses are 16 bytes read where they lie:
// `bytes` is the captured frame and each `...Off` the offset of one address inside it, valid
// only during the call. MACs are 48-bit numbers, 0 when not known.

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
   * `reporterMac` is the frame's Ethernet source (0 when the link has none).
   * `proto` is the quoted IP protocol; ports are 0 when the quoted transport is not TCP/UDP.
   */
  icmpUnreachable(t: number, reporter: number, reporterMac: number, client: number, server: number, code: number, proto: number, sport: number, dport: number): void;
  /** Someone (normally the router) asks who has `target`. */
  arpRequest(t: number, sender: number, target: number): void;
  /** `sender` answers an ARP request (or announces itself): it is on the wire. */
  arpReply(t: number, sender: number, senderMac: number): void;

  // ---- IPv6: the same facts; addresses are 16 bytes at an offset of `bytes` ----

  syn6(t: number, bytes: Uint8Array, clientOff: number, serverOff: number, sport: number, dport: number, seq: number, clientMac: number): void;
  synAck6(t: number, bytes: Uint8Array, serverOff: number, clientOff: number, sport: number, dport: number, ack: number): void;
  reset6(t: number, bytes: Uint8Array, serverOff: number, clientOff: number, sport: number, dport: number): void;
  /** ICMPv6 destination unreachable (type 1, any code): as icmpUnreachable. */
  icmp6Unreachable(t: number, bytes: Uint8Array, reporterOff: number, reporterMac: number, clientOff: number, serverOff: number, code: number, proto: number, sport: number, dport: number): void;
  /** A neighbour solicitation from `sender` for `target` (DAD probes from :: are not reported). */
  neighbourSolicit(t: number, bytes: Uint8Array, senderOff: number, targetOff: number): void;
  /** A neighbour advertisement: `target` is on the wire, at `targetMac` when the option says. */
  neighbourAdvert(t: number, bytes: Uint8Array, targetOff: number, targetMac: number): void;
}

/** A no-op implementation, handy as a base for decoders' tests and benchmarks. */
export class NullObservations implements Observations {
  syn(_t: number, _client: number, _server: number, _sport: number, _dport: number, _seq: number, _clientMac: number): void {}
  synAck(_t: number, _server: number, _client: number, _sport: number, _dport: number, _ack: number): void {}
  reset(_t: number, _server: number, _client: number, _sport: number, _dport: number): void {}
  icmpUnreachable(_t: number, _reporter: number, _reporterMac: number, _client: number, _server: number, _code: number, _proto: number, _sport: number, _dport: number): void {}
  arpRequest(_t: number, _sender: number, _target: number): void {}
  arpReply(_t: number, _sender: number, _senderMac: number): void {}
  syn6(_t: number, _bytes: Uint8Array, _clientOff: number, _serverOff: number, _sport: number, _dport: number, _seq: number, _clientMac: number): void {}
  synAck6(_t: number, _bytes: Uint8Array, _serverOff: number, _clientOff: number, _sport: number, _dport: number, _ack: number): void {}
  reset6(_t: number, _bytes: Uint8Array, _serverOff: number, _clientOff: number, _sport: number, _dport: number): void {}
  icmp6Unreachable(_t: number, _bytes: Uint8Array, _reporterOff: number, _reporterMac: number, _clientOff: number, _serverOff: number, _code: number, _proto: number, _sport: number, _dport: number): void {}
  neighbourSolicit(_t: number, _bytes: Uint8Array, _senderOff: number, _targetOff: number): void {}
  neighbourAdvert(_t: number, _bytes: Uint8Array, _targetOff: number, _targetMac: number): void {}
}

/**
 * Passes every observation on to `next`; a subclass overrides what it looks at or filters.
 * `next` is read at each call, so a getter may point it at a replaced engine.
 */
export class ForwardingObservations implements Observations {
  constructor(private readonly target: () => Observations) {}
  protected get next(): Observations { return this.target(); }
  syn(t: number, client: number, server: number, sport: number, dport: number, seq: number, clientMac: number): void {
    this.next.syn(t, client, server, sport, dport, seq, clientMac);
  }
  synAck(t: number, server: number, client: number, sport: number, dport: number, ack: number): void {
    this.next.synAck(t, server, client, sport, dport, ack);
  }
  reset(t: number, server: number, client: number, sport: number, dport: number): void {
    this.next.reset(t, server, client, sport, dport);
  }
  icmpUnreachable(t: number, reporter: number, reporterMac: number, client: number, server: number, code: number, proto: number, sport: number, dport: number): void {
    this.next.icmpUnreachable(t, reporter, reporterMac, client, server, code, proto, sport, dport);
  }
  arpRequest(t: number, sender: number, target: number): void {
    this.next.arpRequest(t, sender, target);
  }
  arpReply(t: number, sender: number, senderMac: number): void {
    this.next.arpReply(t, sender, senderMac);
  }
  syn6(t: number, bytes: Uint8Array, clientOff: number, serverOff: number, sport: number, dport: number, seq: number, clientMac: number): void {
    this.next.syn6(t, bytes, clientOff, serverOff, sport, dport, seq, clientMac);
  }
  synAck6(t: number, bytes: Uint8Array, serverOff: number, clientOff: number, sport: number, dport: number, ack: number): void {
    this.next.synAck6(t, bytes, serverOff, clientOff, sport, dport, ack);
  }
  reset6(t: number, bytes: Uint8Array, serverOff: number, clientOff: number, sport: number, dport: number): void {
    this.next.reset6(t, bytes, serverOff, clientOff, sport, dport);
  }
  icmp6Unreachable(t: number, bytes: Uint8Array, reporterOff: number, reporterMac: number, clientOff: number, serverOff: number, code: number, proto: number, sport: number, dport: number): void {
    this.next.icmp6Unreachable(t, bytes, reporterOff, reporterMac, clientOff, serverOff, code, proto, sport, dport);
  }
  neighbourSolicit(t: number, bytes: Uint8Array, senderOff: number, targetOff: number): void {
    this.next.neighbourSolicit(t, bytes, senderOff, targetOff);
  }
  neighbourAdvert(t: number, bytes: Uint8Array, targetOff: number, targetMac: number): void {
    this.next.neighbourAdvert(t, bytes, targetOff, targetMac);
  }
}
