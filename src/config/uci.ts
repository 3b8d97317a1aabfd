// A reader for UCI files (OpenWrt's /etc/config/*) that needs no uci binary, so the daemon, the
// tests and `backsoon config check` read the file exactly as `uci show` would on a router.
//
// Grammar, as libuci's file.c parses it (openwrt/uci, read for facts):
//   statement := ('config' | 'c') TYPE [NAME] | ('option' | 'o') NAME [VALUE]
//              | ('list' | 'l') NAME [VALUE] | ('package' | 'p') NAME
//   A word is a run of pieces with nothing between them: 'single quoted' (literal, may span
//   lines), "double quoted" (may span lines; backslash keeps the next character, backslash +
//   newline joins lines) and unquoted text (backslash as in double quotes). A word ends at a
//   blank. '#' outside quotes starts a comment, even in the middle of a word.
//   Section and option names: [A-Za-z0-9_]+; section types: printable ASCII without blanks.
//   An empty NAME in `config` makes the section anonymous; `option NAME ''` sets nothing;
//   `list NAME ''` adds an empty item. A named section given twice is one section (later
//   options merge into it); an option given twice keeps its place and takes the last value.
// Where this reader differs from libuci, on purpose:
//   - mixing `option` and `list` on one name is an error (uci silently converts or replaces);
//   - an unquoted ';' is an error (uci treats it as a statement separator but drops the rest of
//     the line when ';' follows an unquoted word directly);
//   - CRLF line ends are read as LF (uci keeps the CR inside a quoted multi-line value);
//   - it does not stop at the first syntax error: it skips to the next line and goes on.
import type { Diagnostic } from './diagnostics';

export interface UciValue {
  readonly value: string;
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
}

export function findOption(section: UciSection, name: string): UciOption | undefined {
  return section.options.find((o) => o.name === name);
}

const NAME = /^[A-Za-z0-9_]+$/;
const PACKAGE_NAME = /^[A-Za-z0-9_-]+$/;
const TYPE = /^[\x21-\x7e]+$/;

interface Word {
  readonly text: string;
  readonly line: number;
}

class SyntaxProblem {
  constructor(readonly line: number, readonly message: string, readonly toEndOfFile = false) {}
}

function isBlank(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\v' || c === '\f';
}

/** Splits the text into statements (lists of words); one statement per call. */
class Scanner {
  private pos = 0;
  line = 1;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  /** Reads the words of the next statement and consumes its line end. Empty at blank lines. */
  statement(): Word[] {
    const words: Word[] = [];
    for (;;) {
      this.skipBlanks();
      const c = this.text[this.pos];
      if (c === undefined) return words;
      if (c === '\n') {
        this.pos++;
        this.line++;
        return words;
      }
      if (c === '#') {
        this.skipLine();
        continue;
      }
      words.push(this.word());
    }
  }

  /** After a syntax error: drop the rest of the line so the next statement starts clean. */
  recover(): void {
    this.skipLine();
    if (this.text[this.pos] === '\n') {
      this.pos++;
      this.line++;
    }
  }

  private skipBlanks(): void {
    while (this.pos < this.text.length && isBlank(this.text[this.pos])) this.pos++;
  }

  private skipLine(): void {
    const end = this.text.indexOf('\n', this.pos);
    this.pos = end < 0 ? this.text.length : end;
  }

  private word(): Word {
    const line = this.line;
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === '\n' || c === '#' || isBlank(c)) break;
      if (c === "'") {
        out += this.singleQuoted();
      } else if (c === '"') {
        out += this.doubleQuoted();
      } else if (c === '\\') {
        out += this.escape();
      } else if (c === ';') {
        throw new SyntaxProblem(this.line,
          "unquoted ';': write one statement per line, or quote the value if ';' belongs to it");
      } else {
        out += c;
        this.pos++;
      }
    }
    return { text: out, line };
  }

  private singleQuoted(): string {
    const openLine = this.line;
    const end = this.text.indexOf("'", this.pos + 1);
    if (end < 0) {
      this.pos = this.text.length;
      throw new SyntaxProblem(openLine,
        "unterminated ' : the quoted value opened on this line never ends; add the closing '", true);
    }
    const piece = this.text.slice(this.pos + 1, end);
    this.line += countNewlines(piece);
    this.pos = end + 1;
    return piece;
  }

  private doubleQuoted(): string {
    const openLine = this.line;
    let out = '';
    this.pos++;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) {
        throw new SyntaxProblem(openLine,
          'unterminated " : the quoted value opened on this line never ends; add the closing "', true);
      }
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c === '\\') {
        out += this.escape();
        continue;
      }
      if (c === '\n') this.line++;
      out += c;
      this.pos++;
    }
  }

  /** Backslash: keeps the next character as it is; before a line end it joins the lines. */
  private escape(): string {
    const next = this.text[this.pos + 1];
    if (next === undefined) {
      this.pos++;
      return '';
    }
    this.pos += 2;
    if (next === '\n') {
      this.line++;
      return '';
    }
    return next;
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

interface OptionBuilder {
  name: string;
  isList: boolean;
  line: number;
  values: UciValue[];
}

interface SectionBuilder {
  type: string;
  name: string | null;
  ref: string;
  line: number;
  options: OptionBuilder[];
}

const COMMANDS: Record<string, 'config' | 'option' | 'list' | 'package'> = {
  config: 'config', c: 'config',
  option: 'option', o: 'option',
  list: 'list', l: 'list',
  package: 'package', p: 'package',
};

/** Parses UCI text. Never throws on bad input: every problem found is in `errors`. */
export function parseUci(text: string, file: string): UciParseResult {
  const scanner = new Scanner(text.replace(/\r\n/g, '\n'));
  const errors: Diagnostic[] = [];
  const sections: SectionBuilder[] = [];
  const named = new Map<string, SectionBuilder>();
  let packageName: string | null = null;
  // null before the first section; 'discarded' after a `config` line that was rejected, so its
  // options are dropped quietly instead of landing in the previous section.
  let current: SectionBuilder | 'discarded' | null = null;

  const fail = (line: number, message: string) => errors.push({ file, line, message });

  while (!scanner.atEnd()) {
    let words: Word[];
    try {
      words = scanner.statement();
    } catch (e) {
      if (!(e instanceof SyntaxProblem)) throw e;
      fail(e.line, e.message);
      if (e.toEndOfFile) break;
      scanner.recover();
      continue;
    }
    if (words.length === 0) continue;
    const [head, ...args] = words;
    const command = Object.prototype.hasOwnProperty.call(COMMANDS, head.text) ? COMMANDS[head.text] : undefined;
    switch (command) {
      case 'config': {
        current = 'discarded';
        const [typeWord, nameWord] = args;
        if (!typeWord || typeWord.text === '') {
          fail(head.line, "config needs a section type, as in: config server 'web'");
          break;
        }
        if (!TYPE.test(typeWord.text)) {
          fail(head.line, `section type '${typeWord.text}' may only contain printable characters without blanks`);
          break;
        }
        if (args.length > 2) {
          fail(head.line, "too many words: expected config TYPE ['NAME']; quote a name that contains blanks");
          break;
        }
        const name = nameWord && nameWord.text !== '' ? nameWord.text : null;
        if (name === null) {
          current = { type: typeWord.text, name: null, ref: '', line: head.line, options: [] };
          sections.push(current);
          break;
        }
        if (!NAME.test(name)) {
          fail(head.line, `section name '${name}' may only contain letters, digits and '_'`);
          break;
        }
        const earlier = named.get(name);
        if (earlier && earlier.type !== typeWord.text) {
          fail(head.line, `section '${name}' was declared as config ${earlier.type} at line ${earlier.line}; ` +
            'one name can belong to only one section type');
          break;
        }
        if (earlier) {
          current = earlier; // uci merges a repeated named section into the first one
          break;
        }
        current = { type: typeWord.text, name, ref: name, line: head.line, options: [] };
        named.set(name, current);
        sections.push(current);
        break;
      }
      case 'option':
      case 'list': {
        const [nameWord, valueWord] = args;
        if (current === null) {
          fail(head.line, `${command} before the first 'config' line: every option belongs to a section`);
          break;
        }
        if (!nameWord || nameWord.text === '') {
          fail(head.line, `${command} needs a name, as in: ${command} ${command === 'list' ? "interface 'br-lan'" : "enabled '1'"}`);
          break;
        }
        if (!NAME.test(nameWord.text)) {
          fail(head.line, `option name '${nameWord.text}' may only contain letters, digits and '_'`);
          break;
        }
        if (args.length > 2) {
          fail(head.line, `too many words: expected ${command} NAME 'VALUE'; quote a value that contains blanks`);
          break;
        }
        if (current === 'discarded') break;
        const value: UciValue = { value: valueWord ? valueWord.text : '', line: valueWord ? valueWord.line : head.line };
        const existing = current.options.find((o) => o.name === nameWord.text);
        const isList = command === 'list';
        if (existing && existing.isList !== isList) {
          fail(head.line, `${nameWord.text} was given with '${existing.isList ? 'list' : 'option'}' at line ${existing.line}; ` +
            "use 'list' for every value of a list, or 'option' for a single value");
          break;
        }
        if (isList) {
          if (existing) existing.values.push(value);
          else current.options.push({ name: nameWord.text, isList, line: head.line, values: [value] });
        } else if (value.value !== '') {
          // an empty `option` value sets nothing, as in uci
          if (existing) {
            existing.values = [value];
            existing.line = head.line;
          } else {
            current.options.push({ name: nameWord.text, isList, line: head.line, values: [value] });
          }
        }
        break;
      }
      case 'package': {
        const [nameWord] = args;
        if (!nameWord || !PACKAGE_NAME.test(nameWord.text)) {
          fail(head.line, "package needs a name of letters, digits, '_' and '-', as in: package backsoon");
          break;
        }
        if (args.length > 1) {
          fail(head.line, 'too many words: expected package NAME');
          break;
        }
        packageName ??= nameWord.text;
        break;
      }
      default:
        fail(head.line, `unknown statement '${head.text}': expected config, option, list or package`);
        break;
    }
  }

  const perType = new Map<string, number>();
  for (const s of sections) {
    const index = perType.get(s.type) ?? 0;
    perType.set(s.type, index + 1);
    if (s.name === null) s.ref = `@${s.type}[${index}]`;
  }
  return { pkg: { file, name: packageName, sections }, errors };
}
