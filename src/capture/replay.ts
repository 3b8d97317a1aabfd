// `backsoon replay FILE [--config FILE]`: the detectors over a recorded capture, using its
// timestamps, one JSON decision per line on stdout and a summary on stderr.

import { readFileSync } from 'node:fs';
import { readCommandLine, usageError } from '../cli-args';
import { Engine, defaultEngineOptions, type EngineOptions } from '../engine/engine';
import { engineOptionsFrom } from '../engine/from-config';
import type { Decision } from '../engine/decisions';
import { CaptureFormatError } from '../packet/pcapfile';
import { runCapture, type CaptureRun } from '../core';
import { linktypeName } from '../packet/linktype';
import { malformedTotal, MALFORMED_REASONS } from '../packet/stats';
import { ConfigError, loadConfig } from '../config/validate';
import { seedContacts } from '../engine/state';
import { parseIp } from '../net/ip';
import type { RouterAddress } from '../engine/router-addresses';

const usage = `usage: backsoon replay FILE [--router ADDRESS]... [--config FILE] [--syn-timeout SECONDS]

Runs backsoon's detectors over a pcap or pcapng capture (for example one taken with
'tcpdump -i br-lan -w FILE' on a router) using the capture's own timestamps, and prints one
JSON object per decision: {"t", "event", "server", "client", "cause", ...}.
Events: down, attempt, recovered, notify, expired. A summary goes to stderr.

  --router ADDRESS     an address of the router the capture was taken on (IPv4 or IPv6;
                       repeat for each): only ICMP errors from these mark a server down.
                       Without --router (or router_address in --config), every ICMP error
                       is counted as forged and decides nothing, as the daemon would treat
                       one from a source that is not the router's
  --config FILE        take options (watched servers, timeouts, contacts, router_address)
                       from a UCI file; without it, the defaults apply and every server
                       address seen is watched
  --syn-timeout S      override syn_timeout (seconds)
`;

export async function main(args: string[]): Promise<number> {
  const line = readCommandLine('replay', usage, args, { config: 'value', 'syn-timeout': 'value', router: 'list' });
  if (typeof line === 'number') return line;
  const [file, extra] = line.positionals;
  if (file === undefined) return usageError('replay', 'missing FILE, the capture to replay', usage);
  if (extra !== undefined) return usageError('replay', `one capture file at a time ('${extra}')`, usage);
  const configFile = line.options.config ?? null;
  let synTimeout: number | null = null;
  if (line.options['syn-timeout'] !== undefined) {
    synTimeout = Number(line.options['syn-timeout']);
    if (!(synTimeout > 0)) return usageError('replay', `--syn-timeout '${line.options['syn-timeout']}': must be a positive number of seconds`, usage);
  }
  const routers: RouterAddress[] = [];
  for (const value of line.options.router ?? []) {
    const address = parseIp(value);
    if (address === null) return usageError('replay', `--router '${value}': must be an IPv4 or IPv6 address such as 192.0.2.1 or 2001:db8::1`, usage);
    routers.push({ address, mac: 0 });
  }

  let options: EngineOptions = defaultEngineOptions;
  let contacts: Parameters<typeof seedContacts>[1] = [];
  if (configFile !== null) {
    try {
      const config = loadConfig(configFile);
      options = engineOptionsFrom(config);
      contacts = config.contacts;
    } catch (err) {
      if (err instanceof ConfigError) { process.stderr.write(`${err.message}\n`); return 2; }
      throw err;
    }
  }
  if (synTimeout !== null) options = { ...options, synTimeout };
  if (routers.length > 0) options = { ...options, routerAddresses: [...options.routerAddresses, ...routers] };

  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    process.stderr.write(`backsoon replay: cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
    return 2;
  }

  const counts: Record<string, number> = {};
  const out: string[] = [];
  const engine = new Engine(options, (d: Decision) => {
    counts[d.event] = (counts[d.event] ?? 0) + 1;
    out.push(decisionLine(d));
    if (out.length >= 256) flush(out);
  });
  seedContacts(engine, contacts, 0);
  let run: CaptureRun;
  try {
    run = runCapture(bytes, engine);
  } catch (err) {
    flush(out);
    if (err instanceof CaptureFormatError) {
      process.stderr.write(`backsoon replay: ${file}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  flush(out);

  const s = run.stats;
  const lines = [
    `${file}: ${s.frames} packets; ${s.syn} SYN, ${s.synAck} SYN/ACK, ${s.reset} RST, ${s.icmpUnreachable} ICMP unreachable, ${s.arp} ARP, ${s.neighbour} ND, ${s.ignored} other, ${s.fragments} fragments, ${malformedTotal(s)} malformed`,
  ];
  for (const [reason, n] of Object.entries(s.malformed)) {
    if (n > 0) lines.push(`  malformed: ${n} × ${MALFORMED_REASONS[reason as keyof typeof MALFORMED_REASONS]}`);
  }
  for (const [type, n] of Object.entries(s.unsupportedLinktypes)) {
    lines.push(`  not decoded: ${n} × unsupported link type ${type}${linktypeName(Number(type)).startsWith('linktype') ? '' : ` (${linktypeName(Number(type))})`}`);
  }
  lines.push(...captureWarnings(file, run));
  lines.push(...forgedWarnings(engine, options.routerAddresses.length));
  lines.push(`decisions: ${['down', 'attempt', 'recovered', 'notify', 'expired'].map((e) => `${counts[e] ?? 0} ${e}`).join(', ')}`);
  const still = engine.outageList();
  for (const o of still) {
    const pending = `${o.clients.length} client${o.clients.length === 1 ? '' : 's'} waiting`;
    lines.push(`still down at end of capture: ${o.server} since ${iso(o.since)} (${o.cause}), ${pending}`);
  }
  if (engine.syns.pending > 0) lines.push(`SYNs still unanswered at end of capture (younger than syn_timeout ${options.synTimeout} s): ${engine.syns.pending}`);
  process.stderr.write(lines.join('\n') + '\n');
  // As tcpdump: a file cut short is read up to the cut, and only an empty read is an error.
  return run.capture.cutShort !== null && run.capture.packets === 0 ? 2 : 0;
}

/** What the file reader and the clock had to put right, one line each; none for a sound file. */
function captureWarnings(file: string, run: CaptureRun): string[] {
  const c = run.capture;
  const lines: string[] = [];
  const unit = c.format === 'pcap' && c.interfaces[0]?.tsresol === 9 ? 'nanoseconds >= 1,000,000,000' : 'microseconds >= 1,000,000';
  if (c.invalidTimestamps > 0) lines.push(`warning: ${c.invalidTimestamps} record${c.invalidTimestamps === 1 ? '' : 's'} with an invalid timestamp (${unit}) skipped`);
  if (run.timeClamped > 0) lines.push(`warning: ${run.timeClamped} packet${run.timeClamped === 1 ? '' : 's'} stamped earlier than the one before: given that one's time`);
  if (c.caplenClamped > 0) lines.push(`warning: ${c.caplenClamped} record${c.caplenClamped === 1 ? '' : 's'} longer than the snap length: cut to it`);
  if (c.cutShort !== null) {
    lines.push(`warning: ${file}: capture cut short at byte ${c.cutShort.offset} (${c.cutShort.message.replace(/^byte \d+: /, '')}); ${c.packets === 0 ? 'nothing could be read' : `read the ${c.packets} packet${c.packets === 1 ? '' : 's'} before it`}`);
  }
  return lines;
}

/** ICMP errors the router did not send, and what to do when the router was not named. */
function forgedWarnings(engine: Engine, routers: number): string[] {
  const f = engine.counters.icmpForged;
  if (f.address + f.mac === 0) return [];
  const line = `ICMP errors not from the router, counted as forged and not acted on: ${f.address} by IP source, ${f.mac} by Ethernet source`;
  if (routers > 0) return [line];
  return [`warning: ${line}; no router address was given: name the router the capture was taken on with --router ADDRESS ` +
    '(or list router_address in --config) for its ICMP errors to count'];
}

/** One decision as a JSON line; times rounded to the microsecond a capture carries. */
export function decisionLine(d: Decision): string {
  const rounded: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    rounded[k] = typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v;
  }
  return JSON.stringify(rounded);
}

function flush(out: string[]): void {
  if (out.length === 0) return;
  process.stdout.write(out.join('\n') + '\n');
  out.length = 0;
}

function iso(t: number): string {
  return new Date(t * 1000).toISOString();
}
