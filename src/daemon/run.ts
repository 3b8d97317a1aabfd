// `backsoon run [--config FILE]`: the daemon in the foreground (procd supervises it).
import { readCommandLine, usageError } from '../cli-args';
import { ConfigError, loadConfig } from '../config/validate';
import type { Config } from '../config/types';
import { Daemon } from './daemon';
import { createLogger, type Logger } from './log';
import { LiveInput } from './live-input';
import { Reloader } from './reload';
import { StandInInput } from './standin-input';
import { TrapInput } from './trap-input';
import { UbusInput } from './ubus-input';

const usage = `usage: backsoon run [--config FILE]

Runs the daemon in the foreground: captures on the configured interfaces, detects down
servers and the clients that tried them, and tells those clients when the servers are back.
SIGHUP or \`ubus call backsoon reload\` reloads the configuration (state is kept; a bad file is
refused; requests during a reload make one more reload after it), SIGTERM stops. After an
unexpected error the daemon saves its state and exits with status 70, for procd to start it
again.
Default configuration file: /etc/config/backsoon
`;

export async function main(args: string[]): Promise<number> {
  const line = readCommandLine('run', usage, args, { config: 'value' });
  if (typeof line === 'number') return line;
  if (line.positionals.length > 0) return usageError('run', `unexpected argument '${line.positionals[0]}' (the file goes after --config)`, usage);
  const file = line.options.config ?? '/etc/config/backsoon';
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
  const live = new LiveInput();
  daemon.addInputs(live);
  daemon.addInputs(new TrapInput(live));
  daemon.addInputs(new StandInInput());
  const reloader = new Reloader(file, daemon, log);
  daemon.reloadCounts = () => reloader.counts;
  daemon.addInputs(new UbusInput(() => reloader.reload('ubus')));
  process.on('SIGHUP', () => { void reloader.reload('SIGHUP'); });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('info', `${signal}: stopping`);
    reloader.close().then(() => daemon.stop()).finally(() => {
      // node-pcap's close() waits for the next packet; exiting ends the capture sessions.
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // After an exception nothing says the tables, sockets and timers still agree: save what can
  // be saved and let procd start a fresh process from the state file.
  process.on('uncaughtException', (err) => exitOnFault(daemon, log, err));
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

/** Exit status after an unexpected exception (sysexits EX_SOFTWARE); procd respawns on any. */
export const EXIT_FAULT = 70;

function exitOnFault(daemon: Daemon, log: Logger, err: unknown): never {
  try {
    const text = err instanceof Error ? err.stack ?? err.message : String(err);
    log('error', `unexpected error, exiting so that backsoon restarts from its saved state: ${text}`);
    const saved = daemon.saveStateNow();
    log(saved ? 'info' : 'error', saved ? 'state saved before exit' : 'state not saved before exit; the last snapshot stays');
  } finally {
    process.exit(EXIT_FAULT);
  }
}
