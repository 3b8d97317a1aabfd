// backsoon: tells exactly the clients who tried to reach a down server when it is back.
// Each subcommand lives in its own module and returns the process exit code.

import { isMainThread, workerData } from 'node:worker_threads';
import { POLICY_WORKER_ROLE } from './policy/worker-protocol';

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: { summary: 'run the daemon on the configured interfaces', load: async () => (await import('./daemon/run')).main },
  status: { summary: 'show down servers, waiting clients, outbox, counters', load: async () => (await import('./control/status-cli')).main },
  replay: { summary: 'run the detectors over a pcap/pcapng capture and print decisions', load: async () => (await import('./capture/replay')).main },
  config: { summary: 'show | check the UCI configuration', load: async () => (await import('./config/cli')).main },
  metrics: { summary: 'print the running daemon\'s counters for Prometheus', load: async () => (await import('./control/metrics-cli')).main },
  policy: { summary: 'test the operator policy file on sample data', load: async () => (await import('./policy/cli')).main },
  agent: { summary: 'delegated notifier: read targets mails by POP3, mail the clients (P13, P14)', load: async () => (await import('./agent/cli')).main },
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

if (!isMainThread && (workerData as { role?: unknown } | null)?.role === POLICY_WORKER_ROLE) {
  // This file started again as the operator policy's thread (policy/isolated.ts).
  void import('./policy/worker-main').then((m) => m.runPolicyWorker());
} else {
  dispatch(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`backsoon: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
