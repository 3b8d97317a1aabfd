// A child process for capture.test.ts and probes.test.ts, run inside the lab's router namespace
// (ip netns exec bs-RUN-TAG-r node --import tsx test/lab/capture-driver.ts CONFIG_FILE): the
// daemon as `backsoon run` builds it (src/daemon/run.ts), from a UCI file, with its live inputs
// (src/daemon/live-input.ts: capture, neighbour monitor, prober) and nothing else, printing
// one JSON line per decision and per log line. Commands arrive as JSON lines on stdin.
//   out: {"event":"ready"}  a decision (+ "wall": Unix seconds when printed)
//        {"event":"log","line"} (the daemon's log, info and above)
//        {"event":"stats","status":{...}} (what `backsoon status --json` shows)
//        {"event":"probeOnce","server","result","ms"} (option confirm's probe, and how long it took)
//        {"event":"error","message"} and exit 2 when the configuration or the inputs fail
//   in:  {"cmd":"stats"}  {"cmd":"probeOnce","server":"198.51.100.10"}
import '../../src/parts';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../src/config/validate';
import { parseIp } from '../../src/net/ip';
import { Daemon } from '../../src/daemon/daemon';
import { LiveInput } from '../../src/daemon/live-input';
import { createLogger } from '../../src/daemon/log';

const out = (o: object): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };

function fail(message: string): never {
  out({ event: 'error', message });
  process.exit(2);
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) fail('usage: capture-driver.ts CONFIG_FILE');
  let daemon: Daemon;
  const live = new LiveInput();
  try {
    daemon = new Daemon(loadConfig(file), createLogger('info', (line) => out({ event: 'log', line: line.trimEnd() })));
    daemon.addInputs(live);
    daemon.onDecision((d) => out({ ...d, wall: Date.now() / 1000 }));
    await daemon.start();
  } catch (err) {
    fail((err as Error).message);
  }

  createInterface({ input: process.stdin }).on('line', (line) => {
    const cmd = JSON.parse(line) as { cmd: string; server?: string };
    if (cmd.cmd === 'stats') {
      out({ event: 'stats', status: daemon.status() });
    } else if (cmd.cmd === 'probeOnce' && cmd.server) {
      const server = cmd.server;
      const address = parseIp(server);
      if (address === null) fail(`probeOnce: '${server}' is not an IP address`);
      const started = Date.now();
      live.probeOnce(address).then((result) => out({ event: 'probeOnce', server, result, ms: Date.now() - started }));
    }
  }).on('close', () => process.exit(0)); // the test closed our stdin: done (captures end with the process)
  out({ event: 'ready' });
}

void main();
