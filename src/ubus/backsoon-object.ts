// The ubus object `backsoon`, what `ubus call backsoon METHOD` and LuCI reach (docs/UBUS.md):
//   status   the daemon's report, as `backsoon status --json` prints it
//   outages  {outages, waitingClients, now}: the down servers and their clients, no counters
//   reload   re-reads the configuration file, as SIGHUP does; a refused file answers
//            status 9 (unknown error) with the errors in the data. Not 2 (invalid argument):
//            the ubus command line prints its usage text for that one.
import type { StatusReport } from '../control/status';
import type { ReloadOutcome } from '../daemon/reload';
import { encodedSize } from './blobmsg';
import type { MethodReply, UbusObjectSpec } from './client';
import { MAX_MESSAGE, UbusStatus } from './wire';

export interface BacksoonControl {
  status(): StatusReport;
  reload(): Promise<ReloadOutcome>;
}

export const OBJECT_PATH = 'backsoon';
export const METHODS = ['status', 'outages', 'reload'] as const;

/** Room for the message's own header and attributes around the data. */
const DATA_LIMIT = MAX_MESSAGE - 1024;

export function backsoonObject(control: BacksoonControl, limit = DATA_LIMIT): UbusObjectSpec {
  return {
    path: OBJECT_PATH,
    methods: [
      { name: 'status', handle: () => ({ data: fitted(readReport(control.status()), 'status', limit) }) },
      { name: 'outages', handle: () => ({ data: fitted(readReport(control.status()), 'outages', limit) }) },
      { name: 'reload', handle: async () => reloadReply(await control.reload()) },
    ],
  };
}

function reloadReply(outcome: ReloadOutcome): MethodReply {
  if (outcome.ok) {
    return { data: { reloaded: true, config: outcome.config, outagesKept: outcome.outagesKept, warnings: outcome.warnings } };
  }
  return { status: UbusStatus.unknownError, data: { reloaded: false, config: outcome.config, errors: outcome.errors } };
}

type Outage = StatusReport['outages'][number];
/** An outage whose client list was cut to fit: `clientsOmitted` more wait. */
type ListedOutage = Outage & { clientsOmitted?: number };

/** The servers listed in a reply, and how many were left out (0: none). */
interface Listing {
  readonly outages: readonly ListedOutage[];
  readonly outagesOmitted: number;
}

interface ReportView {
  readonly outages: readonly Outage[];
  /** The reply of a method with the outages as listed. */
  render(method: 'status' | 'outages', listing: Listing): object;
}

/** The one place that reads the status report's shape. */
function readReport(report: StatusReport): ReportView {
  return {
    outages: report.outages,
    render(method, listing) {
      const omitted = listing.outagesOmitted > 0 ? { outagesOmitted: listing.outagesOmitted } : {};
      return method === 'status'
        ? { ...report, outages: listing.outages, ...omitted }
        : { outages: listing.outages, waitingClients: report.waitingClients, now: report.now, ...omitted };
    },
  };
}

/**
 * The reply cut to fit one ubus message (ubusd drops a client that sends more than 1 MiB):
 * every server's client list is cut to the same length, the longest that fits; if the servers
 * alone are too many, their list is cut too. `clientsOmitted` and `outagesOmitted` say so.
 */
export function fitted(view: ReportView, method: 'status' | 'outages', limit = DATA_LIMIT): object {
  const reply = (outages: readonly ListedOutage[], outagesOmitted = 0) => view.render(method, { outages, outagesOmitted });
  const size = encodedSize;
  const whole = reply(view.outages);
  const full = size(whole);
  if (full <= limit) return whole;
  const outages = view.outages;
  const bare = cutClients(outages, 0);
  const fixed = size(reply(bare));
  if (fixed <= limit) {
    // Clients cost about the same each: guess how many fit, then back off until they do.
    const total = outages.reduce((n, o) => n + o.clients.length, 0);
    for (let budget = Math.floor(((limit - fixed) * total) / (full - fixed)); budget > 0; budget = Math.floor(budget * 0.9)) {
      const r = reply(cutClients(outages, perServer(outages, budget)));
      if (size(r) <= limit) return r;
    }
    return reply(bare);
  }
  for (let keep = Math.floor((bare.length * limit) / fixed); keep > 0; keep = Math.floor(keep * 0.9)) {
    const r = reply(bare.slice(0, keep), outages.length - keep);
    if (size(r) <= limit) return r;
  }
  return reply([], outages.length);
}

/** The largest per-server length whose total stays within `budget` clients. */
function perServer(outages: readonly Outage[], budget: number): number {
  let low = 0;
  let high = outages.reduce((m, o) => Math.max(m, o.clients.length), 0);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const n = outages.reduce((sum, o) => sum + Math.min(o.clients.length, mid), 0);
    if (n <= budget) low = mid;
    else high = mid - 1;
  }
  return low;
}

function cutClients(outages: readonly Outage[], keep: number): ListedOutage[] {
  return outages.map((o) => (o.clients.length <= keep ? o
    : { ...o, clients: o.clients.slice(0, keep), clientsOmitted: o.clients.length - keep }));
}
