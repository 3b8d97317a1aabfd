// backsoon: tells exactly the clients who tried to reach a down server when it is back.
// Each subcommand lives in its own module and returns the process exit code. The commands that
// only talk to the daemon or read its configuration are in this bundle; the daemon's own modules
// (run, replay, policy, agent) are a second bundle that node reads only for those commands.
// The parts' configuration sections (./parts, which loads node's crypto) are loaded by `config`
// alone (config/cli.ts): status, metrics and --version never read the file.

import { loadDaemonCommand } from './daemon-bundle';
import type { Command } from './daemon-entry';

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: { summary: 'run the daemon on the configured interfaces', load: loadDaemonCommand('run') },
  status: { summary: 'show down servers, waiting clients, outbox, counters', load: async () => (await import('./control/status-cli')).main },
  replay: { summary: 'run the detectors over a pcap/pcapng capture and print decisions', load: loadDaemonCommand('replay') },
  config: { summary: 'show | check the UCI configuration', load: async () => (await import('./config/cli')).main },
  metrics: { summary: 'print the running daemon\'s counters for Prometheus', load: async () => (await import('./control/metrics-cli')).main },
  policy: { summary: 'test the operator policy file on sample data', load: loadDaemonCommand('policy') },
  agent: { summary: 'delegated notifier: read targets mails by POP3, mail the clients (P13, P14)', load: loadDaemonCommand('agent') },
};

const usage = `usage: backsoon <command> [options]

commands:
${Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`).join('\n')}

Run 'backsoon <command> --help' for a command's options.
Default configuration file: /etc/config/backsoon
`;

async function dispatch(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`backsoon ${(await import('./version')).VERSION}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`backsoon: unknown command '${name}'\n\n${usage}`);
    return 2;
  }
  return (await command.load())(rest);
}

/**
 * A command's reader that goes away (`backsoon status | head`) ends the command quietly, as the
 * pipe's end is the reader's choice. The daemon and the agent keep node's default: their output
 * goes to the system log, and losing it is a fault procd should see.
 */
function quietOnClosedPipe(command: string | undefined): void {
  if (command === 'run' || command === 'agent') return;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}

quietOnClosedPipe(process.argv[2]);
dispatch(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`backsoon: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
