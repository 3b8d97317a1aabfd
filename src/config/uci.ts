// A reader for UCI files (OpenWrt's /etc/config/*) that needs no uci binary and reads a file
// exactly as libuci does, so the daemon, `backsoon config show|check` and the router's own
// `uci show` agree on every file: the same sections, options and bytes, or all reject it.
// test/unit/config-show-openwrt-uci.test.ts holds it to that against uci built from source.
//
// How libuci reads (openwrt/uci file.c, read for facts; uci-lines.ts models its line buffer):
//   - A line starts with a keyword, config/c, option/o, list/l or package/p, found by splitting
//     at the first space or tab only: a keyword quoted, escaped, or followed by \v, \f, \r or
//     the line end is no keyword ("invalid command").
//   - Then come words: 'single quoted' (literal, may span lines), "double quoted" (backslash
//     keeps the next character, backslash + line end joins lines, may span lines) and unquoted
//     text (backslash as in double quotes), glued together until a blank (space, \t, \n, \v,
//     \f, \r). '#' outside quotes ends the line. ';' ends the statement and another may follow
//     on the line; but a ';' right after an unquoted word is overwritten by the word's end, so
//     the rest of that line is lost (warned about).
//   - Names: [A-Za-z0-9_]+; section types: printable ASCII without blanks; values: any bytes
//     but NUL. A quoted value keeps CR and LF as they are.
//   - config TYPE [NAME]: no NAME (or '') makes an anonymous section, which libuci names
//     cfgNNHHHH, a name a later `config TYPE 'cfgNNHHHH'` reaches. A named section given again
//     with its type is the same section; with another type it is an error.
//   - option NAME VALUE sets the value in place (an empty value changes nothing); list NAME
//     VALUE appends an item (an empty one too). `list` after `option` turns the value into the
//     list's first item; `option` after `list` replaces the list.
//   - One more word than a statement takes is an error, as is everything libuci's default
//     (strict) mode rejects. libuci stops at the first error; this reader goes on at the next
//     line, as libuci's non-strict mode would, to report every error at once.
import type { Diagnostic } from './diagnostics';
import { LineBuffer } from './uci-lines';

export interface UciValue {
  /** The bytes decoded as UTF-8 (U+FFFD for bytes that are not). */
  readonly value: string;
  /** The bytes as read, what `uci show` prints. */
  readonly bytes: Uint8Array;
  /** Line where the value's word starts. */
  readonly line: number;
}

export interface UciOption {
  readonly name: string;
  readonly isList: boolean;
  /** Line of the statement that gave the current value (`option`) or the first item (`list`). */
  readonly line: number;
  /** One value for `option`, the items in order for `list`. */
  readonly values: readonly UciValue[];
}

export interface UciSection {
  readonly type: string;
  /** null for an anonymous section. */
  readonly name: string | null;
  /** How `uci show` names it: the name, or `@type[i]` with i counted over every section of the type. */
  readonly ref: string;
  /** Line of the first `config` statement for this section. */
  readonly line: number;
  readonly options: readonly UciOption[];
}

export interface UciPackage {
  readonly file: string;
  /** From a `package NAME` line; uci ignores it when it loads /etc/config/NAME. */
  readonly name: string | null;
  readonly sections: readonly UciSection[];
}

export interface UciParseResult {
  readonly pkg: UciPackage;
  readonly errors: readonly Diagnostic[];
  /** What uci reads differently from how it looks (text lost after ';' or a NUL byte). */
  readonly warnings: readonly Diagnostic[];
}

/** UCI text: the file's bytes, or a string (written out as UTF-8). */
export type UciText = string | Uint8Array;

export function findOption(section: UciSection, name: string): UciOption | undefined {
  return section.options.find((o) => o.name === name);
}

const NUL = 0;
const TAB = 0x09;
const NEWLINE = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const HASH = 0x23;
const SINGLE_QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const SEMICOLON = 0x3b;
const BACKSLASH = 0x5c;

/** C's isspace in the C locale. */
const isBlank = (c: number) => c === SPACE || (c >= TAB && c <= CR);
const isAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** uci_validate_str: names are letters, digits and '_' ('-' too for a package); types any printable ASCII. */
function validName(word: Uint8Array, kind: 'name' | 'package' | 'type'): boolean {
  if (word.length === 0) return false;
  return word.every((c) => isAlnum(c) || c === 0x5f || (c === 0x2d && kind === 'package') ||
    (kind === 'type' && c >= 0x21 && c <= 0x7e));
}

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');
const ascii = (bytes: Uint8Array) => latin1.decode(bytes);

/** libuci's name for an anonymous section: cfg, the section count in hex, a hash of the type. */
function anonymousName(type: Uint8Array, sectionCount: number): string {
  let hash = 5381;
  for (const c of type) hash = (Math.imul(hash, 33) + (c > 127 ? c - 256 : c)) >>> 0;
  hash &= 0x7fffffff;
  return `cfg${sectionCount.toString(16).padStart(2, '0')}${(hash % 65536).toString(16).padStart(4, '0')}`;
}

type Statement = 'config' | 'option' | 'list' | 'package';

/** A libuci parse error: its reason, and where our message places it. */
class ParseError {
  constructor(readonly statement: Statement | null, readonly reason: Reason, readonly line: number, readonly word = '') {}
}

type Reason =
  | 'invalid command' | 'missing argument' | 'invalid name' | 'invalid type' | 'too many arguments'
  | 'before first section' | 'type conflict' | 'unterminated single quote' | 'unterminated double quote';

interface OptionBuilder {
  name: string;
  isList: boolean;
  line: number;
  values: UciValue[];
}

interface SectionBuilder {
  type: string;
  name: string | null;
  /** The name libuci looks it up by: its own, or the generated one of an anonymous section. */
  key: string;
  ref: string;
  line: number;
  options: OptionBuilder[];
}

/** One file through libuci's parser, building the package as libuci's uci_set/uci_add_list would. */
class UciReader {
  private readonly buffer: LineBuffer;
  private pos = 0;
  private sectionCount = 0;
  readonly sections: SectionBuilder[] = [];
  /** null before the first section; 'discarded' after a rejected config line, so its options do not land elsewhere. */
  private current: SectionBuilder | 'discarded' | null = null;
  packageName: string | null = null;
  readonly errors: { line: number; message: string }[] = [];
  readonly warnings: { line: number; message: string }[] = [];

  constructor(input: Uint8Array) {
    this.buffer = new LineBuffer(input);
  }

  read(): void {
    while (!this.buffer.atEnd) {
      this.pos = 0;
      this.buffer.readLine(0);
      if (this.byte(0) === NUL) continue;
      try {
        this.parseLine();
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        if (e.statement === 'config') this.current = 'discarded';
        this.errors.push({ line: e.line, message: explain(e) });
      }
    }
    for (const line of new Set(this.buffer.nulLines)) {
      this.warnings.push({ line, message: 'a NUL byte: uci drops the text after it on this line (and may join the next line to it); remove the NUL' });
    }
  }

  private byte(at: number): number {
    return this.buffer.bytes[at];
  }

  private setByte(at: number, value: number): void {
    this.buffer.bytes[at] = value;
  }

  /** The NUL-terminated bytes starting at `at`. */
  private word(at: number): Uint8Array {
    const bytes = this.buffer.bytes;
    let end = at;
    while (bytes[end] !== NUL) end++;
    return bytes.slice(at, end);
  }

  private skipBlanks(): void {
    const bytes = this.buffer.bytes;
    while (bytes[this.pos] !== NUL && isBlank(bytes[this.pos])) this.pos++;
  }

  /** uci_parse_line: statements, one after another while ';' separates them. */
  private parseLine(): void {
    this.skipBlanks();
    for (;;) {
      const start = this.keywordAt(this.pos);
      if (start === null || this.byte(start) === HASH) return;
      const keyword = this.word(start);
      const line = this.buffer.lineAt(start);
      const statement = keywordOf(keyword);
      if (statement === null) throw new ParseError(null, 'invalid command', line, ascii(keyword));
      switch (statement) {
        case 'config': this.parseConfig(line); break;
        case 'option': this.parseOption(line, false); break;
        case 'list': this.parseOption(line, true); break;
        case 'package': this.parsePackage(line); break;
      }
    }
  }

  /** strtok(" \t") from `from`: the keyword's start, its end overwritten with NUL; null when none. */
  private keywordAt(from: number): number | null {
    const bytes = this.buffer.bytes;
    let i = from;
    while (bytes[i] === SPACE || bytes[i] === TAB) i++;
    if (bytes[i] === NUL) return null;
    const start = i;
    while (bytes[i] !== NUL && bytes[i] !== SPACE && bytes[i] !== TAB) i++;
    bytes[i] = NUL;
    return start;
  }

  /** Steps over the keyword; libuci's check that something follows it at all. */
  private afterKeyword(statement: Statement, line: number): void {
    let end = this.pos;
    while (this.byte(end) !== NUL) end++;
    const next = end + 1;
    if (next > this.buffer.filled) throw new ParseError(statement, 'missing argument', line);
    this.pos = next;
  }

  private parseConfig(line: number): void {
    this.afterKeyword('config', line);
    const typeAt = this.nextWord('config', line, true, null);
    const typeBytes = this.word(typeAt);
    if (!validName(typeBytes, 'type')) throw new ParseError('config', 'invalid type', line, ascii(typeBytes));
    const nameAt = this.nextWord('config', line, false, 'name');
    this.endOfStatement('config', line);
    const type = ascii(this.word(typeAt));
    const name = ascii(this.word(nameAt));
    if (name === '') {
      this.sectionCount++;
      const section = { type, name: null, key: anonymousName(typeBytes, this.sectionCount), ref: '', line, options: [] };
      this.sections.push(section);
      this.current = section;
      return;
    }
    const earlier = this.sections.find((s) => s.key === name);
    if (earlier && earlier.type !== type) {
      throw new ParseError('config', 'type conflict', line,
        `section '${name}' was declared as config ${earlier.type} at line ${earlier.line}`);
    }
    if (earlier) {
      this.current = earlier;
      return;
    }
    this.sectionCount++;
    const section = { type, name, key: name, ref: name, line, options: [] };
    this.sections.push(section);
    this.current = section;
  }

  private parseOption(line: number, isList: boolean): void {
    const statement = isList ? 'list' : 'option';
    if (this.current === null) throw new ParseError(statement, 'before first section', line);
    this.afterKeyword(statement, line);
    const nameAt = this.nextWord(statement, line, true, 'name');
    const valueAt = this.nextWord(statement, line, false, null);
    this.endOfStatement(statement, line);
    if (this.current === 'discarded') return;
    const name = ascii(this.word(nameAt));
    const bytes = this.word(valueAt);
    const value: UciValue = { value: utf8.decode(bytes), bytes, line: this.buffer.lineAt(valueAt) };
    const options = this.current.options;
    const index = options.findIndex((o) => o.name === name);
    const existing = index < 0 ? undefined : options[index];
    if (isList) {
      if (!existing) options.push({ name, isList, line, values: [value] });
      else if (existing.isList) existing.values.push(value);
      else options[index] = { name, isList, line: existing.line, values: [...existing.values, value] };
    } else if (bytes.length > 0) {
      const replaced = { name, isList, line, values: [value] };
      if (existing) options[index] = replaced;
      else options.push(replaced);
    }
  }

  private parsePackage(line: number): void {
    this.afterKeyword('package', line);
    const nameAt = this.nextWord('package', line, true, 'package');
    this.endOfStatement('package', line);
    this.packageName ??= ascii(this.word(nameAt));
  }

  /** next_arg: the next word's position (empty when there is none). */
  private nextWord(statement: Statement, line: number, required: boolean, name: 'name' | 'package' | null): number {
    this.skipBlanks();
    const at = this.pos;
    if (this.byte(at) === SEMICOLON) {
      this.setByte(at, NUL);
      this.pos++;
    } else {
      this.readWord(line);
    }
    if (this.byte(at) === NUL) {
      if (required) throw new ParseError(statement, 'missing argument', line);
      return at;
    }
    if (name !== null && !validName(this.word(at), name)) {
      throw new ParseError(statement, 'invalid name', line, utf8.decode(this.word(at)));
    }
    return at;
  }

  /** assert_eol: one more word is an error. */
  private endOfStatement(statement: Statement, line: number): void {
    this.skipBlanks();
    const at = this.nextWord(statement, line, false, null);
    if (this.byte(at) !== NUL) throw new ParseError(statement, 'too many arguments', line);
  }

  /** parse_str: the pieces of one word, written in place from its start. */
  private readWord(line: number): void {
    const start = this.pos;
    let target = this.pos;
    let next = true;
    const copy = () => this.setByte(target++, this.byte(this.pos++));
    scan: do {
      switch (this.byte(this.pos)) {
        case SINGLE_QUOTE:
          target = this.singleQuoted(target);
          break;
        case DOUBLE_QUOTE:
          target = this.doubleQuoted(target);
          break;
        case HASH:
          this.setByte(this.pos, NUL);
          break scan;
        case NUL:
          break scan;
        case SEMICOLON:
          next = false;
          if (target === this.pos) this.warnLostAfterSemicolon(line, start);
          break scan;
        case BACKSLASH:
          if (!this.backslash()) continue;
          copy();
          break;
        default:
          copy();
      }
    } while (this.byte(this.pos) !== NUL && !isBlank(this.byte(this.pos)));
    if (this.byte(this.pos) !== NUL && next) this.pos++;
    this.setByte(target, NUL);
  }

  /** A ';' right after an unquoted word becomes the word's end: nothing after it is read. */
  private warnLostAfterSemicolon(line: number, wordStart: number): void {
    const rest = latin1.decode(this.word(this.pos + 1));
    if (rest.trim() === '' || rest.trimStart().startsWith('#')) return;
    const word = utf8.decode(this.buffer.bytes.slice(wordStart, this.pos));
    this.warnings.push({ line, message: `';' right after '${word}' ends the line for uci: '${rest.trim()}' is not read; ` +
      `put a blank before ';', or start a new line` });
  }

  private singleQuoted(target: number): number {
    const line = this.buffer.lineAt(this.pos);
    this.pos++;
    for (;;) {
      const c = this.byte(this.pos);
      if (c === SINGLE_QUOTE) {
        this.pos++;
        return target;
      }
      if (c === NUL) {
        this.buffer.readLine(this.pos);
        if (this.byte(this.pos) === NUL) throw new ParseError(null, 'unterminated single quote', line);
        continue;
      }
      this.setByte(target++, this.byte(this.pos++));
    }
  }

  private doubleQuoted(target: number): number {
    const line = this.buffer.lineAt(this.pos);
    this.pos++;
    for (;;) {
      const c = this.byte(this.pos);
      if (c === DOUBLE_QUOTE) {
        this.pos++;
        return target;
      }
      if (c === NUL) {
        this.buffer.readLine(this.pos);
        if (this.byte(this.pos) === NUL) throw new ParseError(null, 'unterminated double quote', line);
        continue;
      }
      if (c === BACKSLASH && !this.backslash()) continue;
      this.setByte(target++, this.byte(this.pos++));
    }
  }

  /** parse_backslash: false when it joined the next line (nothing to copy). */
  private backslash(): boolean {
    this.pos++;
    const c = this.byte(this.pos);
    if (c === NUL || c === NEWLINE || (c === CR && this.byte(this.pos + 1) === NEWLINE && this.byte(this.pos + 2) === NUL)) {
      this.buffer.readLine(this.pos);
      return false;
    }
    return true;
  }
}

function keywordOf(word: Uint8Array): Statement | null {
  const text = ascii(word);
  for (const statement of ['config', 'option', 'list', 'package'] as const) {
    if (text === statement || text === statement[0]) return statement;
  }
  return null;
}

const EXAMPLES: Record<Statement, string> = {
  config: "config server 'web'",
  option: "option enabled '1'",
  list: "list interface 'br-lan'",
  package: 'package backsoon',
};

/** The error in our words: what libuci rejected and how to write it instead. */
function explain(e: ParseError): string {
  const statement = e.statement ?? 'statement';
  switch (e.reason) {
    case 'invalid command': {
      // libuci splits the keyword off at a space or tab only, and compares it as it stands
      if (/^\s*$/.test(e.word)) return "';' at the end of the line: uci wants another statement after it; remove the ';'";
      if (e.word.startsWith(';')) return "';' with nothing before it: uci wants a statement between two ';'";
      const bare = e.word.replace(/["'\\]/g, '');
      const [, keyword, rest] = /^(config|option|list|package)([\s\S]*)$/.exec(bare) ?? [];
      if (keyword && bare !== e.word && rest === '') {
        return `'${shown(e.word)}': write the keyword ${keyword} bare, without quotes or backslash, as in: ${EXAMPLES[keyword as Statement]}`;
      }
      if (keyword && bare === e.word && /^\r?\n?$/.test(rest)) return missingArgument(keyword as Statement);
      if (keyword && bare === e.word && /^\s/.test(rest)) {
        return `'${shown(e.word)}': put a space or tab after the keyword ${keyword}, as in: ${EXAMPLES[keyword as Statement]}`;
      }
      return `unknown statement '${shown(e.word.replace(/\r?\n$/, ''))}': expected config, option, list or package`;
    }
    case 'missing argument':
      return missingArgument(statement as Statement);
    case 'invalid name':
      if (e.statement === 'package') return "package needs a name of letters, digits, '_' and '-', as in: package backsoon";
      return `${e.statement === 'config' ? 'section' : 'option'} name '${shown(e.word)}' may only contain letters, digits and '_'`;
    case 'invalid type':
      return `section type '${shown(e.word)}' may only contain printable characters without blanks`;
    case 'too many arguments':
      return e.statement === 'config' ? "too many words: expected config TYPE ['NAME']; quote a name that contains blanks"
        : e.statement === 'package' ? 'too many words: expected package NAME'
          : `too many words: expected ${statement} NAME 'VALUE'; quote a value that contains blanks`;
    case 'before first section':
      return `${statement} before the first 'config' line: every option belongs to a section`;
    case 'type conflict':
      return `${e.word}; one name can belong to only one section type`;
    case 'unterminated single quote':
      return "unterminated ' : the quoted value opened on this line never ends; add the closing '";
    case 'unterminated double quote':
      return 'unterminated " : the quoted value opened on this line never ends; add the closing "';
  }
}

function missingArgument(statement: Statement): string {
  if (statement === 'config') return `config needs a section type, as in: ${EXAMPLES.config}`;
  return `${statement} needs a name, as in: ${EXAMPLES[statement]}`;
}

/** A word for a message: control characters escaped. */
function shown(word: string): string {
  return word.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Parses UCI text. Never throws on bad input: every problem found is in `errors`. */
export function parseUci(text: UciText, file: string): UciParseResult {
  const reader = new UciReader(typeof text === 'string' ? new TextEncoder().encode(text) : text);
  reader.read();
  const perType = new Map<string, number>();
  for (const s of reader.sections) {
    const index = perType.get(s.type) ?? 0;
    perType.set(s.type, index + 1);
    if (s.name === null) s.ref = `@${s.type}[${index}]`;
  }
  const byLine = (a: { line: number }, b: { line: number }) => a.line - b.line;
  const diagnostics = (list: { line: number; message: string }[]) => list.sort(byLine).map((d) => ({ file, ...d }));
  return {
    pkg: { file, name: reader.packageName, sections: reader.sections },
    errors: diagnostics(reader.errors),
    warnings: diagnostics(reader.warnings),
  };
}
