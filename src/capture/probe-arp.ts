// The 'arp' probe: an ARP request sent through the capture session of a server-side
// interface, from the interface's own MAC and address, as the kernel itself would ask. The
// reply comes back through the capture like any other (engine: arp-reply); ArpReplyWatch lets
// the prober learn that it came.
import { ForwardingObservations, type Observations } from '../net/observations';
import { putMac, putU16, putU32 } from '../packet/bytes';
import { ETHERTYPE_ARP } from '../packet/ethernet';
import { ARP_HTYPE_ETHERNET, ARP_OP_REQUEST, ARP_PTYPE_IPV4 } from '../packet/arp';
import { formatIPv4 } from '../net/ipv4';
import { AddressWaiters } from './probe-waiters';

const BROADCAST = 0xffffffffffff;
export const ARP_REQUEST_FRAME_LEN = 42;

/** A broadcast who-has `target` tell `senderIp` (at `senderMac`), Ethernet framed, unpadded. */
export function arpRequestFrame(senderMac: number, senderIp: number, target: number): Uint8Array {
  const f = new Uint8Array(ARP_REQUEST_FRAME_LEN);
  putMac(f, 0, BROADCAST);
  putMac(f, 6, senderMac);
  putU16(f, 12, ETHERTYPE_ARP);
  putU16(f, 14, ARP_HTYPE_ETHERNET);
  putU16(f, 16, ARP_PTYPE_IPV4);
  f[18] = 6;
  f[19] = 4;
  putU16(f, 20, ARP_OP_REQUEST);
  putMac(f, 22, senderMac);
  putU32(f, 28, senderIp);
  // target MAC (32..37) stays zero: unknown, that is the question
  putU32(f, 38, target);
  return f;
}

/**
 * Sits between the capture and the engine: passes every observation on unchanged and, after an
 * ARP reply has reached the engine, wakes the probes waiting for that sender.
 */
export class ArpReplyWatch extends ForwardingObservations {
  private readonly waiters = new AddressWaiters();

  constructor(target: Observations) {
    super(() => target);
  }

  waitReply(addr: number, timeoutMs: number): Promise<boolean> {
    return this.waiters.wait(formatIPv4(addr), timeoutMs);
  }

  override arpReply(t: number, sender: number, senderMac: number): void {
    super.arpReply(t, sender, senderMac);
    if (this.waiters.size > 0) this.waiters.seen(formatIPv4(sender));
  }
}
