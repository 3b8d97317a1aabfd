// `backsoon status [--json] [--socket PATH]`
import { readCommandLine, usageError } from '../cli-args';
import { formatDuration } from '../notify/time-format';
import { defaultSocketPath, requestStatus } from './socket';
import { COUNTER_SECTIONS, counterEntries, type StatusReport } from './status';

const usage = `usage: backsoon status [--json] [--socket PATH]

Shows the down servers with the clients waiting for them, the outbox and the counters of the
running daemon. --json prints the daemon's report as it is (for scripts and rpcd).
`;

export async function main(args: string[]): Promise<number> {
  const line = readCommandLine('status', usage, args, { json: 'flag', socket: 'value' });
  if (typeof line === 'number') return line;
  if (line.positionals.length > 0) return usageError('status', `unexpected argument '${line.positionals[0]}'`, usage);
  const json = line.options.json === true;
  const socket = line.options.socket ?? defaultSocketPath();
  let report: StatusReport;
  try {
    report = await requestStatus(socket);
  } catch (err) {
    process.stderr.write(`backsoon status: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : formatStatus(report));
  return 0;
}

export function formatStatus(r: StatusReport): string {
  const lines: string[] = [];
  const ago = (t: number) => duration(r.now - t);
  lines.push(`backsoon ${r.version}, pid ${r.pid}, up ${ago(r.startedAt)}, config ${r.config}`);
  lines.push('');
  if (r.outages.length === 0) lines.push('Down servers: none');
  else {
    lines.push(`Down servers: ${r.outages.length}, waiting clients: ${r.waitingClients}`);
    for (const o of r.outages) {
      const hold = o.state === 'holding' && o.holdUntil !== undefined ? `, back, holding ${duration(o.holdUntil - r.now)} more` : '';
      lines.push(`  ${o.server.padEnd(15)}  down since ${clock(o.since)} (${ago(o.since)}), ${o.cause}${hold}, ${o.clients.length} waiting`);
      for (const c of o.clients.slice(0, 20)) {
        lines.push(`      ${c.client.padEnd(15)}  first try ${clock(c.firstAttempt)}, last ${clock(c.lastAttempt)}${c.mac ? '  ' + c.mac : ''}`);
      }
      if (o.clients.length > 20) lines.push(`      ... and ${o.clients.length - 20} more (--json lists all)`);
    }
  }
  lines.push('');
  const ob = r.outbox;
  lines.push(`Outbox: ${ob.queued} queued, ${ob.sending} sending, ${ob.sent} sent, ${ob.failed} failed, ${ob.retries} retries`);
  for (const [channel, outcomes] of Object.entries(ob.outcomes)) {
    lines.push(`  ${channel}: ${Object.entries(outcomes).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  }
  if (ob.storageError !== null) {
    lines.push(`  cannot write since ${clock(ob.storageErrorSince ?? r.now)} (${ob.storageError}): ${ob.unsaved} notice(s) in memory only, still sent; free space in the state_dir`);
  }
  const st = r.state;
  lines.push(`State file: ${st.writes} writes, ${st.failures} failed${st.error !== null ? ` (failing: ${st.error})` : ''}${st.heldBy !== null ? `; held: ${st.heldBy}` : ''}`);
  const rg = r.registrations;
  if (rg.saved + rg.notSaved > 0) lines.push(`Page registrations: ${rg.saved} saved, ${rg.notSaved} refused as not saved${rg.error !== null ? ` (failing: ${rg.error})` : ''}`);
  const p = r.packets;
  lines.push(`Packets: ${p.frames} (${p.syn} SYN, ${p.synAck} SYN/ACK, ${p.reset} RST, ${p.icmpUnreachable} ICMP unreachable, ${p.arp} ARP, ${p.neighbour} ND)`);
  for (const c of r.captures) {
    lines.push(`Capture ${c.interface} (${c.role} side): ${c.received} received, ${c.dropped} dropped by pcap, ${c.ifDropped} by the interface`);
  }
  const e = r.engine;
  lines.push(`Detections: ${Object.entries(e.downs).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  if (e.icmpForged !== undefined) {
    lines.push(`ICMP errors not from the router (forged, not acted on): ${e.icmpForged.address} by IP source, ${e.icmpForged.mac} by Ethernet source`);
  }
  lines.push(`Recoveries: ${Object.entries(e.recoveries).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  lines.push(`Clients: ${e.attempts} registered, ${e.notices} to notify (${e.noContact} without address), ${e.expired} expired; evictions ${e.evictions['table-full']} table-full, ${e.evictions['server-cap']} server-cap; ${e.outagesEvicted ?? 0} outages forgotten to make room`);
  if (e.evicted !== undefined) {
    lines.push(`Evicted clients: ${e.evicted.unverified} unverified, ${e.evicted.verified} verified; refused: ${e.refusedOffNetwork} outside the client networks, ${e.refusedNoContact} without a contact`);
  }
  // Every other number the engine counts, so a new counter shows without touching this file.
  const shown = new Set<string>(['attempts', 'notices', 'noContact', 'expired', 'outagesEvicted', 'refusedOffNetwork', 'refusedNoContact']);
  const others = Object.entries(e).filter(([k, v]) => typeof v === 'number' && !shown.has(k));
  lines.push(`Engine: ${others.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const t = r.tables;
  lines.push(`Tables: servers ${t.servers}/${t.serverCapacity}, links ${t.links}/${t.linkCapacity}, pending SYNs ${t.pendingSyns}/${t.synCapacity} (${t.synOverflows} pushed out when full), contacts ${r.contacts}`);
  for (const name of COUNTER_SECTIONS) {
    const section = r[name];
    if (section !== undefined) lines.push(`${name}: ${counterEntries(section).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

function clock(t: number): string {
  return new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

/** Status rounds to the nearest second (the notices' durations are whole seconds elapsed). */
function duration(seconds: number): string {
  return formatDuration(Math.round(seconds));
}
