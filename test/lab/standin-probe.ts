// Runs a plan of HTTP requests from inside a lab client namespace against the down server's
// address (which the router redirects to the stand-in) and prints the replies as one JSON array.
//   ip netns exec bs-st-c2 node --import tsx test/lab/standin-probe.ts PLAN_JSON
import { fetchPage, form, FORM_HEADERS, raw, register, tokenOf, type Target } from '../unit/standin-http';

export type ProbeStep =
  | { kind: 'get'; path?: string; method?: string; headers?: Record<string, string> }
  | { kind: 'register'; fields: Record<string, string>; headers?: Record<string, string> }
  | { kind: 'post'; body: string; headers?: Record<string, string> }
  /** chunks are latin1 strings (any byte 0-255), sent `gapMs` apart. */
  | { kind: 'raw'; chunks: string[]; gapMs?: number; giveUpMs?: number }
  /** n posts with one valid token and distinct addresses. */
  | { kind: 'flood'; n: number };

export interface ProbePlan {
  readonly host: string;
  readonly port: number;
  readonly steps: readonly ProbeStep[];
}

async function run(plan: ProbePlan): Promise<unknown[]> {
  const target: Target = { host: plan.host, port: plan.port };
  const results: unknown[] = [];
  for (const step of plan.steps) {
    switch (step.kind) {
      case 'get':
        results.push(await fetchPage(target, { path: step.path, method: step.method, headers: step.headers }));
        break;
      case 'register':
        results.push(await register(target, step.fields, undefined, step.headers));
        break;
      case 'post':
        results.push(await fetchPage(target, { method: 'POST', path: '/.backsoon/register', headers: { ...FORM_HEADERS, ...step.headers }, body: step.body }));
        break;
      case 'raw':
        results.push(await raw(target, step.chunks.map((c) => Buffer.from(c, 'latin1')), step.gapMs ?? 0, step.giveUpMs ?? 10_000));
        break;
      case 'flood': {
        const token = tokenOf((await fetchPage(target)).body);
        const statuses: Record<string, number> = {};
        let refusal = '';
        for (let i = 0; i < step.n; i++) {
          const r = await fetchPage(target, { method: 'POST', path: '/.backsoon/register', headers: FORM_HEADERS,
            body: form({ csrf: token, mail: `victim+${i}@example.org`, choice: 'yes' }) });
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.status === 429) refusal = r.body;
        }
        results.push({ statuses, refusal });
        break;
      }
    }
  }
  return results;
}

run(JSON.parse(process.argv[2]) as ProbePlan).then(
  (results) => process.stdout.write(JSON.stringify(results)),
  (err: Error) => { process.stderr.write(`standin-probe: ${err.stack ?? err.message}\n`); process.exit(1); },
);
