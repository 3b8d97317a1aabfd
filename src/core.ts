// The core without Node: decoders, capture files, engine. `make build` bundles it on its own
// (dist/backsoon-core.js, platform neutral) for JavaScript engines smaller than Node, such as
// QuickJS; test/unit/core-quickjs.test.ts proves it decides exactly as under Node.
import type { Decision } from './engine/decisions';
import { Engine, defaultEngineOptions, type EngineOptions } from './engine/engine';
import { FrameDecoder } from './packet/dispatch';
import { forEachPacket } from './packet/pcapfile';
import type { DecodeStats } from './packet/stats';

export { Engine, defaultEngineOptions, FrameDecoder, forEachPacket };
export type { Decision, EngineOptions };

/**
 * Feeds every packet of a pcap/pcapng capture to `engine`, letting time pass by the capture's
 * timestamps; returns what the decoder counted. Throws CaptureFormatError on a broken file.
 */
export function runCapture(capture: Uint8Array, engine: Engine): DecodeStats {
  const decoder = new FrameDecoder(engine);
  forEachPacket(capture, (linktype, data, off, len, t) => {
    engine.tick(t);
    decoder.frame(linktype, data, off, len, t);
  });
  return decoder.stats;
}

/** Runs the engine over a pcap/pcapng capture and returns its decisions in order. */
export function replayCapture(capture: Uint8Array, options: Partial<EngineOptions> = {}): Decision[] {
  const decisions: Decision[] = [];
  runCapture(capture, new Engine({ ...defaultEngineOptions, ...options }, (d) => decisions.push(d)));
  return decisions;
}
