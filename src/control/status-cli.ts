// `backsoon status [--json] [--socket PATH]`
import { defaultSocketPath, requestStatus } from './socket';
import type { StatusReport } from './status';

const usage = `usage: backsoon status [--json] [--socket PATH]

Shows the down servers with the clients waiting for them, the outbox and the counters of the
running daemon. --json prints the daemon's report as it is (for scripts and rpcd).
`;

export async function main(args: string[]): Promise<number> {
  let json = false;
  let socket = defaultSocketPath();
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--json') json = true;
    else if (args[i] === '--socket' && args[i + 1] !== undefined) socket = args[++i];
    else if (args[i] === '--help' || args[i] === '-h') { process.stdout.write(usage); return 0; }
    else { process.stderr.write(`backsoon status: unknown option '${args[i]}'\n${usage}`); return 2; }
  }
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
  const t = r.tables;
  lines.push(`Tables: servers ${t.servers}/${t.serverCapacity}, links ${t.links}/${t.linkCapacity}, pending SYNs ${t.pendingSyns}/${t.synCapacity} (${t.synOverflows} pushed out when full), contacts ${r.contacts}`);
  for (const [name, counters] of Object.entries(r.extra)) {
    lines.push(`${name}: ${Object.entries(counters).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

function clock(t: number): string {
  return new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}
