// Reads one UCI section against its schema entry: applies defaults, parses values by kind and
// records every problem with its line, so validation goes on and reports all of them at once.
import { quoteForMessage, type Diagnostic } from './diagnostics';
import { optionSpec, type OptionSpec, type SectionSpec } from './schema';
import { closest } from './suggest';
import { findOption, type UciOption, type UciSection, type UciValue } from './uci';
import { CONTROL_CHARACTER, parseValue, type KindValue, type ValueKind } from './values';

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
    // `option interface 'eth0 br-lan'` is a common OpenWrt way of writing a short list
    const items: UciValue[] = option.isList
      ? [...option.values]
      : option.values[0].value.split(/[ \t]+/).filter((t) => t !== '').map((t) => ({ value: t, bytes: Buffer.from(t), line: option.values[0].line }));
    const seen = new Set<string>();
    const out: KindValue[K][] = [];
    for (const item of items) {
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
    if (CONTROL_CHARACTER.test(item.value)) {
      this.error(item.line, `${what}: contains a line break or another control character; write the value on one line`);
      return null;
    }
    const parsed = parseValue(kind, item.value, spec);
    if (!parsed.ok) {
      this.error(item.line, `${what}: ${parsed.reason}`);
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
