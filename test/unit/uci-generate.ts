// A bounded, seeded generator of UCI files for the differential test against OpenWrt's `uci
// show`: mostly plausible files, salted with what separates a careful reader from a sloppy one
// (';' between statements, option and list on one name, CR, bytes that are not UTF-8, NUL,
// quoted or escaped keywords, \v and \f, backslash line joins, long lines that cross libuci's
// line-buffer sizes, names libuci gives anonymous sections). Same seed, same files.
import { seededRandom } from '../../src/packet/generate';

type Random = () => number;

class Picker {
  constructor(private readonly random: Random) {}

  chance(p: number): boolean {
    return this.random() < p;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  one<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }
}

const KEYWORDS = {
  config: ['config', 'config', 'config', 'c'],
  option: ['option', 'option', 'option', 'o'],
  list: ['list', 'list', 'list', 'l'],
  package: ['package', 'p'],
} as const;

/** What may stand where a keyword should: mostly the keyword, sometimes a disguise of it. */
function keyword(p: Picker, word: string): string {
  if (!p.chance(0.015)) return word;
  return p.one([`'${word}'`, `"${word}"`, `\\${word}`, word.toUpperCase(), `${word}\\\n`, `${word}#`, `${word};`]);
}

/** The blank after a keyword or between words. */
function blank(p: Picker): string {
  if (p.chance(0.98)) return p.one([' ', ' ', '\t', '  ', ' \t']);
  return p.one(['\v', '\f', '\r', ' \v', '\t\f ']);
}

const NAMES = ['main', 'lan', 'a', 'x_1', 'www', 'B2', '_', 'srv0'];
const BAD_NAMES = ['a-b', 'a.b', '\xc3\xa9', 'a b', '-', '\xc3\xbc1', '*'];
const TYPES = ['backsoon', 'server', 't', 'interface', 'a-b.c', 'x:y', 'Z'];

/** One piece of a value: plain, quoted, escaped, or carrying an awkward byte. */
function piece(p: Picker): string {
  const plain = () => p.one(['v', '1', 'br-lan', '198.51.100.10', 'a b', 'tcp:80', 'x#y', 'it\'s', 'Gr\xc3\xbc\xc3\x9fe', '']);
  switch (p.int(0, 26)) {
    case 0: case 1: case 2: return `'${plain().replace(/'/g, "'\\''")}'`;
    case 3: case 4: return `"${plain().replace(/["\\]/g, '\\$&')}"`;
    case 5: return plain().replace(/[ #'"\\;]/g, '');
    case 6: return p.one(["'line1\nline2'", "'l1\r\nl2'", '"multi\n\tline"', '"a\\\nb"', 'a\\\nb', 'a\\\r\nb', '"x\\\r\ny"']);
    case 7: return p.one(['\\ ', '\\#', '\\\\', '\\n', '\\\'', '\\"', '\\;', '\\\t']);
    case 8: return p.one(['\x80', '\xff', '\xc3', '\xe2\x82', 'a\xfeb', "'\xc0\xaf'", '"\xf5"']);
    case 9: return p.one(['\0', 'a\0b', "'\0'", '"x\0y"', '\0\n']);
    case 10: return p.one([';', 'a;b', "'a;b'", '"a;b"', "'a';", 'a\\;b']);
    case 11: return p.one(['\r', "'a\rb'", '\v', '\f', "'\v'", '"\f"']);
    case 12: return p.one(['#c', "'q'#c", '\t#', "'#'"]);
    case 13: return 'x'.repeat(p.int(20, 140));
    case 14: return `'${'y'.repeat(p.int(20, 140))}${p.one(['', '\0', '\n', '\xff'])}${'z'.repeat(p.int(0, 60))}'`;
    case 15: return p.one(["''", '""', "''''", '\'\'""']);
    default: return `'${plain().replace(/'/g, "'\\''")}'`;
  }
}

function value(p: Picker): string {
  let v = '';
  for (let i = p.int(1, p.chance(0.7) ? 1 : 3); i > 0; i--) v += piece(p);
  return v;
}

function sectionName(p: Picker): string {
  if (p.chance(0.8)) return p.one(NAMES);
  if (p.chance(0.7)) return p.one(["''", '""', `'${p.one(NAMES)}'`, `"${p.one(NAMES)}"`]);
  return p.one(BAD_NAMES);
}

function optionName(p: Picker): string {
  if (p.chance(0.97)) return p.one(['enabled', 'interface', 'o', 'l', 'address', 'name', 'x_1', 'mixed']);
  return p.one([...BAD_NAMES, "'o'", '"o"', "''"]);
}

/** libuci's name for an anonymous section: cfg, the section count and a hash of its type. */
export function anonymousName(type: string, sectionsSoFar: number): string {
  let hash = 5381;
  for (const c of Buffer.from(type, 'latin1')) hash = (Math.imul(hash, 33) + (c > 127 ? c - 256 : c)) >>> 0;
  hash &= 0x7fffffff;
  return `cfg${(sectionsSoFar + 1).toString(16).padStart(2, '0')}${(hash % 65536).toString(16).padStart(4, '0')}`;
}

function statementEnd(p: Picker): string {
  if (p.chance(0.9)) return p.one(['\n', '\n', '\n', '\r\n', ' \n', '\t# c\n']);
  return p.one(['; ', ';', ' ; ', ';\t', '\0\n', '\n\n', '\\\n']);
}

/** One generated file, as bytes. */
export function generateUciFile(p: Picker): Buffer {
  let text = p.chance(0.1) ? `${keyword(p, p.one(KEYWORDS.package))}${blank(p)}${p.one(['backsoon', 'other', 'a-b', 'x.y'])}\n` : '';
  const anonymous: string[] = [];
  let sections = 0;
  for (let s = p.int(p.chance(0.05) ? 0 : 1, 4); s > 0; s--) {
    const type = p.chance(0.9) ? p.one(TYPES.slice(0, 4)) : p.one(TYPES);
    let header = `${keyword(p, p.one(KEYWORDS.config))}${blank(p)}${p.chance(0.2) ? `'${type}'` : type}`;
    if (anonymous.length > 0 && p.chance(0.05)) {
      header += `${blank(p)}'${p.one(anonymous)}'`;
    } else if (p.chance(0.65)) {
      header += `${blank(p)}${sectionName(p)}`;
    } else {
      anonymous.push(anonymousName(type, sections));
    }
    if (p.chance(0.02)) header += `${blank(p)}extra`;
    sections++;
    text += (p.chance(0.1) ? p.one(['  ', '\t', '\n', '# comment\n', ' \v']) : '') + header + statementEnd(p);
    const used: string[] = [];
    for (let o = p.int(0, 5); o > 0; o--) {
      const reuse = used.length > 0 && p.chance(0.25);
      const name = reuse ? p.one(used) : optionName(p);
      used.push(name);
      const kind = p.chance(0.55) ? p.one(KEYWORDS.option) : p.one(KEYWORDS.list);
      let statement = `${p.chance(0.9) ? '\t' : ''}${keyword(p, kind)}${blank(p)}${name}`;
      if (!p.chance(0.05)) statement += `${blank(p)}${value(p)}`;
      if (p.chance(0.02)) statement += `${blank(p)}${value(p)}`;
      text += statement + statementEnd(p);
    }
  }
  if (p.chance(0.2)) text = text.replace(/\n$/, '');
  return Buffer.from(text, 'latin1');
}

/** `count` files from `seed`. Strings above are byte strings (one char per byte, latin1). */
export function* generatedUciFiles(seed: number, count: number): Generator<{ index: number; bytes: Buffer }> {
  const p = new Picker(seededRandom(seed));
  for (let index = 0; index < count; index++) yield { index, bytes: generateUciFile(p) };
}
