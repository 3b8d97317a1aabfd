// `backsoon metrics [--socket PATH]`: the Prometheus text of the running daemon.
import { readCommandLine, usageError } from '../cli-args';
import { renderMetrics } from './metrics';
import { metricsFromStatus } from './metrics-from-status';
import { defaultSocketPath, requestStatus } from './socket';

const usage = `usage: backsoon metrics [--socket PATH]

Prints the running daemon's counters in the Prometheus text format.
`;

export async function main(args: string[]): Promise<number> {
  const line = readCommandLine('metrics', usage, args, { socket: 'value' });
  if (typeof line === 'number') return line;
  if (line.positionals.length > 0) return usageError('metrics', `unexpected argument '${line.positionals[0]}'`, usage);
  const socket = line.options.socket ?? defaultSocketPath();
  try {
    process.stdout.write(renderMetrics(metricsFromStatus(await requestStatus(socket))));
    return 0;
  } catch (err) {
    process.stderr.write(`backsoon metrics: ${(err as Error).message}\n`);
    return 1;
  }
}
