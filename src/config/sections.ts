// Config owns the file and the core sections; each part reads its own sections (config webhook,
// config standin, ...) and registers that reader here, so config never imports the parts.
// src/parts.ts imports every part once; an entry that validates imports it first.
import type { SectionReader } from './section-reader';
import type { Config, MainConfig, ServerConfig, SnmpConfig } from './types';

/** The Config fields a part fills in; validateUci refuses to finish without every one. */
export type PartFields = Pick<Config, 'webhooks' | 'snmpOut' | 'standin'>;
export const PART_FIELDS: readonly (keyof PartFields)[] = ['webhooks', 'snmpOut', 'standin'];

/** What a part's reader gets: its section readers and what the core sections already say. */
export interface SectionContext {
  /** A reader for each section of that type. */
  readers(type: string): readonly SectionReader[];
  /** The one section of a single type (a reader over null when absent). */
  single(type: string): SectionReader;
  readonly hostname: string;
  readonly main: MainConfig;
  readonly servers: readonly ServerConfig[];
  readonly snmp: SnmpConfig;
  /** A warning about the file as a whole (line 0). */
  warn(message: string): void;
}

export interface SectionPart {
  /** The part, for the error when two register under one name. */
  readonly name: string;
  /** Reads the part's sections, reporting through the readers and ctx.warn. */
  read(ctx: SectionContext): Partial<PartFields>;
}

const parts: SectionPart[] = [];

/** Called once by a part's module when it loads. */
export function registerSections(part: SectionPart): void {
  if (parts.some((p) => p.name === part.name)) throw new Error(`config: part '${part.name}' registered its sections twice`);
  parts.push(part);
}

/** Runs every registered part; throws when a part field is left unread (src/parts.ts not imported). */
export function readParts(ctx: SectionContext): PartFields {
  const fields: Partial<PartFields> = {};
  for (const part of parts) Object.assign(fields, part.read(ctx));
  const missing = PART_FIELDS.filter((key) => fields[key] === undefined);
  if (missing.length > 0) {
    throw new Error(`config: no part reads ${missing.join(', ')}; import src/parts.ts before validating a configuration`);
  }
  return fields as PartFields;
}
