// `backsoon metrics [--socket PATH]`: the Prometheus text of the running daemon.
import { renderMetrics } from './metrics';
import { metricsFromStatus } from './metrics-from-status';
import { defaultSocketPath, requestStatus } from './socket';

export async function main(args: string[]): Promise<number> {
  let socket = defaultSocketPath();
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--socket' && args[i + 1] !== undefined) socket = args[++i];
    else if (args[i] === '--help' || args[i] === '-h') {
      process.stdout.write('usage: backsoon metrics [--socket PATH]\n\nPrints the running daemon\'s counters in the Prometheus text format.\n');
      return 0;
    } else { process.stderr.write(`backsoon metrics: unknown option '${args[i]}'\n`); return 2; }
  }
  try {
    process.stdout.write(renderMetrics(metricsFromStatus(await requestStatus(socket))));
    return 0;
  } catch (err) {
    process.stderr.write(`backsoon metrics: ${(err as Error).message}\n`);
    return 1;
  }
}
