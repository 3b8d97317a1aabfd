// The core without Node: decoders, capture files, engine. `make build` bundles it on its own
// (dist/backsoon-core.js, platform neutral) for JavaScript engines smaller than Node, such as
// QuickJS; test/unit/core-quickjs.test.ts proves it decides exactly as under Node.
import type { Decision } from './engine/decisions';
import { Engine, defaultEngineOptions, type EngineOptions } from './engine/engine';
import { parseIp } from './net/ip';
import { FrameDecoder } from './packet/dispatch';
import { forEachPacket, type CaptureInfo } from './packet/pcapfile';
import type { DecodeStats } from './packet/stats';

export { Engine, defaultEngineOptions, FrameDecoder, forEachPacket };
export type { Decision, EngineOptions };

export interface CaptureRun {
  /** What the decoder counted. */
  stats: DecodeStats;
  /** What the file reader found (packets, skipped records, where a cut-short file ends). */
  capture: CaptureInfo;
  /** Packets stamped earlier than the one before them, given that one's time instead. */
  timeClamped: number;
}

/**
 * Feeds every packet of a pcap/pcapng capture to `engine`, letting time pass by the capture's
 * timestamps, which never run backwards into the engine: a packet earlier than the one before
 * it takes that one's time. Throws CaptureFormatError on a broken file.
 */
export function runCapture(capture: Uint8Array, engine: Engine): CaptureRun {
  const decoder = new FrameDecoder(engine);
  let last = -Infinity;
  let timeClamped = 0;
  const info = forEachPacket(capture, (linktype, data, off, len, t) => {
    if (t < last) { t = last; timeClamped++; }
    last = t;
    engine.tick(t);
    decoder.frame(linktype, data, off, len, t);
  });
  return { stats: decoder.stats, capture: info, timeClamped };
}

/**
 * Runs the engine over a pcap/pcapng capture and returns its decisions in order. `routers`: the
 * addresses (text, either family) of the router the capture was taken on, whose ICMP errors count.
 */
export function replayCapture(capture: Uint8Array, options: Partial<EngineOptions> = {}, routers: readonly string[] = []): Decision[] {
  const decisions: Decision[] = [];
  const routerAddresses = routers.map((text) => {
    const address = parseIp(text);
    if (address === null) throw new Error(`replayCapture: router address '${text}' is not an IPv4 or IPv6 address`);
    return { address, mac: 0 };
  });
  runCapture(capture, new Engine({ ...defaultEngineOptions, ...options, routerAddresses }, (d) => decisions.push(d)));
  return decisions;
}
