// The core without Node: decoders, capture files, engine. `make build` bundles it on its own
// (dist/backsoon-core.js, platform neutral) for JavaScript engines smaller than Node, such as
// QuickJS; test/unit/core-quickjs.test.ts proves it decides exactly as under Node.
import type { Decision } from './engine/decisions';
import { Engine, defaultEngineOptions, type EngineOptions } from './engine/engine';
import { FrameDecoder } from './packet/dispatch';
import { forEachPacket } from './packet/pcapfile';

export { Engine, defaultEngineOptions, FrameDecoder, forEachPacket };
export type { Decision, EngineOptions };

/** Runs the engine over a pcap/pcapng capture and returns its decisions in order. */
export function replayCapture(capture: Uint8Array, options: Partial<EngineOptions> = {}): Decision[] {
  const decisions: Decision[] = [];
  const engine = new Engine({ ...defaultEngineOptions, ...options }, (d) => decisions.push(d));
  const decoder = new FrameDecoder(engine);
  forEachPacket(capture, (linktype, data, off, len, t) => {
    engine.tick(t);
    decoder.frame(linktype, data, off, len, t);
  });
  return decisions;
}
