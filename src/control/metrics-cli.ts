// `backsoon metrics [--socket PATH]`: the Prometheus text of the running daemon.
import { renderMetrics } from './metrics';
import { metricsFromStatus } from './metrics-from-status';
import { controlRequest } from './socket';
import type { StatusReport } from './status';

export async function main(args: string[]): Promise<number> {
  let socket = process.env.BACKSOON_SOCKET ?? '/var/run/backsoon.sock';
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--socket' && args[i + 1] !== undefined) socket = args[++i];
    else if (args[i] === '--help' || args[i] === '-h') {
      process.stdout.write('usage: backsoon metrics [--socket PATH]\n\nPrints the running daemon\'s counters in the Prometheus text format.\n');
      return 0;
    } else { process.stderr.write(`backsoon metrics: unknown option '${args[i]}'\n`); return 2; }
  }
  try {
    const answer = await controlRequest(socket, { cmd: 'status' });
    if (typeof answer === 'object' && answer !== null && 'error' in answer) throw new Error(String((answer as { error: unknown }).error));
    process.stdout.write(renderMetrics(metricsFromStatus(answer as StatusReport)));
    return 0;
  } catch (err) {
    process.stderr.write(`backsoon metrics: ${(err as Error).message}\n`);
    return 1;
  }
}
