// One contender of bench/decode-apart.ts, in a process of its own: decode + engine as the tree
// at `root` ships it (bundled), that tree's decoder alone, or node-pcap's decoder. Told to prepare (the capture from a
// file, warm-up rounds), then to run one round at a time; answers with its own CPU time.
import { readFileSync } from 'node:fs';
import { deserialize } from 'node:v8';
import type { DecisionSink } from '../src/engine/decisions';
import type { ContenderSpec, FromContender, ToContender } from './decode-apart';
import type { Observations } from '../src/net/observations';
import type { FrameDecoder } from '../src/packet/dispatch';
import { checkCounts, cpuSeconds, ENGINE_ENTRY, loadBundled, nodePcapRound, type EngineCode, type SyntheticCapture } from './decode';

/** The decoder and a sink that drops every observation, as a tree ships them (both exist since before IPv6). */
const DECODER_ENTRY = "export { FrameDecoder } from './src/packet/dispatch'; export { NullObservations } from './src/net/observations';";
type DecoderCode = { FrameDecoder: typeof FrameDecoder; NullObservations: new () => Observations };

/** CPU time of this process (all its threads, its collector's too), in ns. */
const cpuNs = (): number => cpuSeconds() * 1e9;

/** One round, timed: returns CPU ns and decisions made. */
type Round = () => { cpuNs: number; decisions: number };

function engineRound(spec: Extract<ContenderSpec, { kind: 'engine' }>, capture: SyntheticCapture): Round {
  const code = loadBundled<EngineCode>(ENGINE_ENTRY, spec.root);
  let decisions = 0;
  const count = (): void => { decisions++; };
  const counting: DecisionSink = { down: count, attempt: count, recovered: count, notify: count, expired: count, evicted: count };
  const { file, offsets, lengths, times, linktype } = capture;
  return () => {
    // A fresh engine every round (made before the clock starts): fed the same capture twice,
    // an engine would see time stand still and its tables full, a different workload.
    const engine = new code.Engine({ ...code.defaultEngineOptions, routerAddresses: spec.routerAddresses }, counting);
    const decoder = new code.FrameDecoder(engine);
    decisions = 0;
    const c0 = cpuNs();
    for (let i = 0; i < offsets.length; i++) decoder.frame(linktype, file, offsets[i], lengths[i], times[i]);
    const spent = cpuNs() - c0;
    checkCounts(decoder.stats, capture);
    return { cpuNs: spent, decisions };
  };
}

function decoderRound(spec: Extract<ContenderSpec, { kind: 'decoder' }>, capture: SyntheticCapture): Round {
  const code = loadBundled<DecoderCode>(DECODER_ENTRY, spec.root);
  const sink = new code.NullObservations();
  const { file, offsets, lengths, times, linktype } = capture;
  return () => {
    const decoder = new code.FrameDecoder(sink);
    const c0 = cpuNs();
    for (let i = 0; i < offsets.length; i++) decoder.frame(linktype, file, offsets[i], lengths[i], times[i]);
    const spent = cpuNs() - c0;
    checkCounts(decoder.stats, capture);
    return { cpuNs: spent, decisions: 0 };
  };
}

function pcapRound(capture: SyntheticCapture): Round {
  const round = nodePcapRound(capture);
  return () => {
    const c0 = cpuNs();
    round();
    return { cpuNs: cpuNs() - c0, decisions: 0 };
  };
}

function reply(m: FromContender): void {
  process.send!(m);
}

let round: Round | null = null;
process.on('message', (m: ToContender) => {
  try {
    if ('prepare' in m) {
      const capture = deserialize(readFileSync(m.capturePath)) as SyntheticCapture;
      const spec = m.prepare;
      round = spec.kind === 'engine' ? engineRound(spec, capture) : spec.kind === 'decoder' ? decoderRound(spec, capture) : pcapRound(capture);
      for (let i = 0; i < m.warmup; i++) round();
      reply({ ready: true });
    } else {
      if (round === null) throw new Error('asked for a round before prepare');
      reply(round());
    }
  } catch (e) {
    reply({ error: e instanceof Error ? e.message : String(e) });
  }
});
if (process.send === undefined) throw new Error('bench/decode-contender.ts is started by bench/decode-apart.ts');
