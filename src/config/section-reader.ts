// Reads one UCI section against its schema entry: applies defaults, parses values by kind and
// records every problem with its line, so validation goes on and reports all of them at once.
import { isUtf8 } from 'node:buffer';
import { statSync } from 'node:fs';
import { quoteForMessage, type Diagnostic } from './diagnostics';
import { optionSpec, type OptionSpec, type SectionSpec } from './schema';
import { closest } from './suggest';
import { findOption, type UciOption, type UciSection, type UciValue } from './uci';
import { CONTROL_CHARACTER, parseValue, type KindValue, type ValueKind } from './values';

/** Why `path` names no regular file (validate_data's file type: stat, following links), or null. */
function fileProblem(path: string): string | null {
  try {
    return statSync(path).isFile() ? null : 'is not a regular file';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file: create it, or remove the option'
      : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${(e as Error).message})`;
  }
}

export interface Findings {
  readonly file: string;
  readonly errors: Diagnostic[];
  readonly warnings: Diagnostic[];
}

export function sectionLabel(section: UciSection): string {
  return section.name === null ? section.ref : `'${section.name}'`;
}

export class SectionReader {
  constructor(
    private readonly findings: Findings,
    readonly spec: SectionSpec,
    /** null: the section is absent and every default applies. */
    readonly section: UciSection | null,
  ) {}

  /** Line of the `config` statement, or 1 when the section is absent. */
  get line(): number {
    return this.section?.line ?? 1;
  }

  get label(): string {
    return this.section ? sectionLabel(this.section) : `'${this.spec.type}'`;
  }

  error(line: number, message: string): void {
    this.findings.errors.push({ file: this.findings.file, line, message });
  }

  warn(line: number, message: string): void {
    this.findings.warnings.push({ file: this.findings.file, line, message });
  }

  has(name: string): boolean {
    return this.option(name) !== undefined;
  }

  /** Line of the option's statement, or of the section when the option is absent. */
  lineOf(name: string): number {
    return this.option(name)?.line ?? this.line;
  }

  /** Line of the list item (or option) whose text is `value`. */
  lineOfItem(name: string, value: string): number {
    const option = this.option(name);
    return option?.values.find((v) => v.value === value || v.value.split(/\s+/).includes(value))?.line ?? this.lineOf(name);
  }

  /** Warns about each option the schema does not know, suggesting the likely intended one. */
  reportUnknownOptions(): void {
    if (!this.section) return;
    const known = this.spec.options.map((o) => o.name);
    for (const option of this.section.options) {
      if (optionSpec(this.spec, option.name)) continue;
      const guess = closest(option.name, known);
      this.warn(option.line, `unknown option ${option.name} in section ${this.label} (config ${this.spec.type}) is ignored` +
        (guess ? `; did you mean ${guess}?` : ''));
    }
  }

  /** A single-valued option that has a default in the schema. */
  value<K extends ValueKind>(name: string, kind: K): KindValue[K] {
    const spec = this.specOf(name, kind, false);
    if (spec.default === undefined) throw new Error(`schema: option ${this.spec.type}.${name} has no default`);
    return this.maybe(name, kind) ?? this.parseDefault(spec, spec.default as string, kind);
  }

  /** A single-valued option; null when it is absent (or wrong: the error is recorded). */
  maybe<K extends ValueKind>(name: string, kind: K): KindValue[K] | null {
    const spec = this.specOf(name, kind, false);
    const option = this.option(name);
    const fallback = spec.default === undefined ? null : this.parseDefault(spec, spec.default as string, kind);
    if (!option) {
      if (spec.required) this.error(this.line, `section ${this.label} (config ${this.spec.type}): option ${name} is required: ${spec.doc}`);
      return fallback;
    }
    if (option.isList) {
      this.error(option.line, `list ${name} in section ${this.label}: ${name} takes a single value; write option ${name} 'VALUE'`);
      return fallback;
    }
    return this.parse(spec, kind, option, option.values[0]) ?? fallback;
  }

  /** A list option: its items, or the schema's default items when it is absent. */
  many<K extends ValueKind>(name: string, kind: K): KindValue[K][] {
    const spec = this.specOf(name, kind, true);
    const option = this.option(name);
    if (!option) return ((spec.default ?? []) as readonly string[]).map((d) => this.parseDefault(spec, d, kind));
    const seen = new Set<string>();
    const out: KindValue[K][] = [];
    for (const item of option.values.flatMap((v) => this.itemsOf(spec, option, v))) {
      if (seen.has(item.value)) {
        this.warn(item.line, `${name} ${quoteForMessage(item.value)} in section ${this.label} is given twice; the repeat is ignored`);
        continue;
      }
      seen.add(item.value);
      const parsed = this.parse(spec, kind, option, item);
      if (parsed !== null) out.push(parsed);
    }
    return out;
  }

  /**
   * The items one value holds. But for text, a value is split at spaces and tabs and an empty
   * one is skipped, as OpenWrt's list() datatype, validate_data and the init script's word
   * splitting read it: `option interface 'eth0 br-lan'` and `list interface 'eth0 br-lan'` are
   * two devices each.
   */
  private itemsOf(spec: OptionSpec, option: UciOption, value: UciValue): UciValue[] {
    if (spec.kind === 'text') return [value];
    if (value.value === '') return [];
    const words = value.value.split(/[ \t]+/).filter((t) => t !== '');
    if (words.length === 0) {
      this.error(value.line, `${option.isList ? 'list' : 'option'} ${spec.name} ${quoteForMessage(value.value)} in section ${this.label}: ` +
        'holds only blanks; remove it or give a value');
    }
    if (words.length === 1 && words[0] === value.value) return [value];
    return words.map((t) => ({ value: t, bytes: Buffer.from(t), line: value.line }));
  }

  private option(name: string): UciOption | undefined {
    return this.section ? findOption(this.section, name) : undefined;
  }

  private specOf(name: string, kind: ValueKind, list: boolean): OptionSpec {
    const spec = optionSpec(this.spec, name);
    if (!spec || spec.kind !== kind || Boolean(spec.list) !== list) {
      throw new Error(`schema: option ${this.spec.type}.${name} is not a ${list ? 'list of ' : ''}${kind}`);
    }
    return spec;
  }

  private parse<K extends ValueKind>(spec: OptionSpec, kind: K, option: UciOption, item: UciValue): KindValue[K] | null {
    const shown = spec.secret ? '(value not shown)' : quoteForMessage(item.value);
    const what = `${option.isList ? 'list' : 'option'} ${spec.name} ${shown} in section ${this.label}`;
    const problem = !isUtf8(item.bytes) ? 'contains bytes that are not UTF-8 text; save the file as UTF-8'
      : CONTROL_CHARACTER.test(item.value) ? 'contains a line break or another control character; write the value on one line'
        : null;
    const parsed = problem === null ? parseValue(kind, item.value, spec) : { ok: false as const, reason: problem };
    const missing = parsed.ok && spec.exists === 'file' ? fileProblem(item.value) : null;
    if (!parsed.ok || missing !== null) {
      this.error(item.line, `${what}: ${parsed.ok ? missing : parsed.reason}`);
      return null;
    }
    if (parsed.warning) this.warn(item.line, `${what}: ${parsed.warning}`);
    return parsed.value;
  }

  private parseDefault<K extends ValueKind>(spec: OptionSpec, text: string, kind: K): KindValue[K] {
    const parsed = parseValue(kind, text, spec);
    if (!parsed.ok) throw new Error(`schema: default '${text}' of ${this.spec.type}.${spec.name} ${parsed.reason}`);
    return parsed.value;
  }
}
