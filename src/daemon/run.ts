// `backsoon run [--config FILE]`: the daemon in the foreground (procd supervises it).
import { ConfigError, loadConfig } from '../config/validate';
import type { Config } from '../config/types';
import { Daemon } from './daemon';
import { createLogger } from './log';
import { LiveInput } from './live-input';
import { Reloader } from './reload';
import { StandInInput } from './standin-input';
import { TrapInput } from './trap-input';
import { UbusInput } from './ubus-input';

const usage = `usage: backsoon run [--config FILE]

Runs the daemon in the foreground: captures on the configured interfaces, detects down
servers and the clients that tried them, and tells those clients when the servers are back.
SIGHUP or \`ubus call backsoon reload\` reloads the configuration (state is kept; a bad file is
refused), SIGTERM stops.
Default configuration file: /etc/config/backsoon
`;

export async function main(args: string[]): Promise<number> {
  let file = '/etc/config/backsoon';
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--config' && args[i + 1] !== undefined) file = args[++i];
    else if (args[i] === '--help' || args[i] === '-h') { process.stdout.write(usage); return 0; }
    else { process.stderr.write(`backsoon run: unknown option '${args[i]}'\n${usage}`); return 2; }
  }
  let config: Config;
  try {
    config = loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) { process.stderr.write(`${err.message}\n`); return 2; }
    throw err;
  }
  const log = createLogger(config.main.logLevel);
  if (!config.main.enabled) {
    log('info', `disabled in ${file} (option enabled 0); not starting`);
    return 0;
  }
  if (config.main.clientInterfaces.length === 0 && config.main.serverInterfaces.length === 0) {
    log('error', `${file}: no interface to watch: set option interface (the clients' side, e.g. 'br-lan') in section 'main'`);
    return 2;
  }

  const daemon = new Daemon(config, log);
  const reloader = new Reloader(file, daemon, log);
  const live = new LiveInput();
  daemon.addInputs(live);
  daemon.addInputs(new TrapInput((server) => live.probeOnce(daemon, server)));
  daemon.addInputs(new StandInInput());
  daemon.addInputs(new UbusInput(() => reloader.reload('ubus')));
  let stopping = false;
  process.on('SIGHUP', () => { void reloader.reload('SIGHUP'); });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('info', `${signal}: stopping`);
    daemon.stop().finally(() => {
      // node-pcap's close() waits for the next packet; exiting ends the capture sessions.
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('uncaughtException', (err) => {
    log('error', `unexpected: ${err.stack ?? err.message}`);
  });
  try {
    await daemon.start();
  } catch (err) {
    log('error', (err as Error).message);
    // Whatever did start (sockets, captures) goes with the process.
    process.exit(2);
  }
  reloader.started();

  return new Promise<number>(() => { /* runs until a signal */ });
}
