// The outbound sections of the configuration, read together: config webhook, config snmp_out
// and config trap_target. Registered with config (config/sections.ts), so validate.ts calls
// readOutbound() with its section readers and the findings land in `backsoon config check`;
// checkOutboundText() does the same on its own for callers that hold just the text.
import { hostname as osHostname } from 'node:os';
import type { Diagnostic } from '../config/diagnostics';
import { sectionSpec } from '../config/schema';
import { SectionReader, type Findings } from '../config/section-reader';
import { registerSections } from '../config/sections';
import type { SnmpOutConfig, WebhookConfig } from '../config/types';
import { parseUci } from '../config/uci';
import { readSnmpOut } from './trap-out-config';
import { readWebhooks } from './webhook-config';

export interface OutboundConfig {
  readonly webhooks: readonly WebhookConfig[];
  /** Always present; without config trap_target sections its target list is empty. */
  readonly snmpOut: SnmpOutConfig;
}

/**
 * `readers(type)`: a reader for each section of that type; `single(type)`: the one section of a
 * single type (a reader over null when absent). Both as validate.ts builds them.
 */
export function readOutbound(
  readers: (type: string) => readonly SectionReader[], single: (type: string) => SectionReader, hostname: string,
): OutboundConfig {
  return {
    webhooks: readWebhooks(readers('webhook')),
    snmpOut: readSnmpOut(single('snmp_out'), readers('trap_target'), hostname),
  };
}

registerSections({ name: 'outbound', read: (ctx) => readOutbound(ctx.readers, ctx.single, ctx.hostname) });

export interface OutboundCheck {
  readonly config: OutboundConfig | null;
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
}

/** Reads only the outbound sections of a configuration file's text. */
export function checkOutboundText(text: string, file: string, hostname = osHostname()): OutboundCheck {
  const parsed = parseUci(text, file);
  if (parsed.errors.length > 0) return { config: null, errors: parsed.errors, warnings: [] };
  const findings: Findings = { file, errors: [], warnings: [] };
  const of = (type: string) => parsed.pkg.sections.filter((s) => s.type === type).map((s) => new SectionReader(findings, sectionSpec(type)!, s));
  const config = readOutbound(of, (type) => of(type)[0] ?? new SectionReader(findings, sectionSpec(type)!, null), hostname);
  const byLine = (a: Diagnostic, b: Diagnostic) => a.line - b.line;
  const errors = [...findings.errors].sort(byLine);
  return { config: errors.length > 0 ? null : config, errors, warnings: [...findings.warnings].sort(byLine) };
}
