// The daemon bench/ubus.ts calls: backsoon's Daemon with its ubus object and control socket,
// no captures, and an outage table filled with SERVERS down servers of CLIENTS waiting
// clients each, so the status report has a known size. Prints "ready" once it is on ubus.
// Usage (bundled by bench/ubus.ts): node ubus-daemon.js CONFIG SERVERS CLIENTS [no-ubus]
// (no-ubus: the control socket alone, for bench/startup.ts, which needs no ubusd).
import { loadConfig } from '../src/config/validate';
import { Daemon } from '../src/daemon/daemon';
import { createLogger } from '../src/daemon/log';
import { Reloader } from '../src/daemon/reload';
import { UbusInput } from '../src/daemon/ubus-input';

async function main(): Promise<void> {
  const [file, servers, clients] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
  const log = createLogger('warn');
  const daemon = new Daemon(loadConfig(file), log);
  const reloader = new Reloader(file, daemon, log);
  if (process.argv[5] !== 'no-ubus') daemon.addInputs(new UbusInput(() => reloader.reload('ubus')));
  await daemon.start();
  reloader.started();
  // Unanswered SYNs older than syn_timeout: one tick turns them into outages.
  const now = Date.now() / 1000;
  for (let s = 0; s < servers; s++) {
    const server = (198 << 24 | 51 << 16 | 100 << 8 | (s + 1)) >>> 0;
    for (let c = 0; c < clients; c++) {
      const client = (10 << 24 | (c + 1)) >>> 0;
      daemon.sink.syn(now - 60 + c / 1000, client, server, 40000 + (c % 20000), 443, c * 7919, 0x020000000000 + c);
    }
  }
  daemon.engine.tick(now);
  process.on('SIGTERM', () => { void daemon.stop().finally(() => process.exit(0)); });
  process.stdout.write('ready\n');
}

void main();
