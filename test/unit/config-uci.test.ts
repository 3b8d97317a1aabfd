// The UCI reader: grammar edge cases, line numbers, syntax errors, and `config show` output.
// The expected `show` outputs are what libuci's `uci show` prints for the same text; the
// comparison with uci itself is config-show-openwrt-uci.test.ts, which runs these cases too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseUci, findOption, type UciPackage } from '../../src/config/uci';
import { uciShow as uciShowBytes, uciQuote } from '../../src/config/show';
import { SHOW_CASES } from './uci-show-cases';

const uciShow = (pkg: UciPackage, name?: string) => uciShowBytes(pkg, name).toString('utf8');

function parseOk(text: string | Uint8Array): UciPackage {
  const result = parseUci(text, 'test.conf');
  assert.equal(result.errors, [], 'no syntax error expected');
  return result.pkg;
}

function errorsOf(text: string | Uint8Array): string[] {
  return parseUci(text, 'f').errors.map((e) => `${e.line}: ${e.message}`);
}


for (const c of SHOW_CASES) {
  test(`show: ${c.name}`, () => {
    assert.fixture(uciShow(parseOk(c.text)), c.show);
  });
}

test('uciQuote escapes quotes the shell way', () => {
  assert.is(uciQuote("a'b''c"), "'a'\\''b'\\'''\\''c'");
  assert.is(uciQuote(''), "''");
});

test('every node keeps its line, also after multi-line values and joined lines', () => {
  const pkg = parseOk([
    "config server 'web'",            // 1
    "\toption address '198.51.100.1'", // 2
    "\toption note 'two",             // 3
    "lines'",                         // 4
    '\toption joined a\\',            // 5
    'b',                              // 6
    '\tlist probe arp',               // 7
    '',                               // 8
    '\tlist probe "tcp:80"',          // 9
    'config contact',                 // 10
    '\toption mail x@example.org',    // 11
    "config server 'web'",            // 12
    '\toption address 198.51.100.2',  // 13
  ].join('\n'));
  const [web, contact] = pkg.sections;
  assert.is(web.line, 1);
  assert.is(contact.line, 10);
  assert.is(contact.ref, '@contact[0]');
  assert.is(findOption(web, 'address')?.line, 13, 'the last value wins and brings its line');
  assert.is(findOption(web, 'note')?.line, 3);
  assert.is(findOption(web, 'note')?.values[0].value, 'two\nlines');
  assert.is(findOption(web, 'joined')?.values[0].value, 'ab');
  assert.equal(findOption(web, 'probe')?.values.map(({ value, line }) => ({ value, line })), [{ value: 'arp', line: 7 }, { value: 'tcp:80', line: 9 }]);
  assert.is(findOption(contact, 'mail')?.line, 11);
});

test('a value word that starts on a later line than its statement keeps its own line', () => {
  const pkg = parseOk("config a x\n\toption o \\\n'v'\n");
  const o = findOption(pkg.sections[0], 'o')!;
  assert.is(o.line, 2);
  assert.is(o.values[0].value, 'v');
});

test('CRLF inside a multi-line quoted value keeps its CR, as in libuci; lines still count', () => {
  const pkg = parseOk("config a x\r\n\toption m 'l1\r\nl2'\r\n\toption n 'v'\r\n");
  assert.is(findOption(pkg.sections[0], 'm')?.values[0].value, 'l1\r\nl2');
  assert.is(findOption(pkg.sections[0], 'n')?.line, 4);
});

test('bytes that are not UTF-8 are kept as bytes (show prints them as uci does) and decoded with U+FFFD', () => {
  const pkg = parseOk(Buffer.from("config a x\n\toption o 'a\xffb'\n", 'latin1'));
  const value = findOption(pkg.sections[0], 'o')!.values[0];
  assert.equal([...value.bytes], [0x61, 0xff, 0x62]);
  assert.is(value.value, 'a\ufffdb');
  assert.equal(uciShowBytes(pkg), Buffer.from("backsoon.x=a\nbacksoon.x.o='a\xffb'\n", 'latin1'));
});

test("warnings: text uci does not read after ';' or a NUL byte", () => {
  const r = parseUci(Buffer.from("config a x\n\toption o v; option p 1\n\toption q 'w'; option s 2\n\toption n a\0b\n", 'latin1'), 'f');
  assert.equal(r.errors, []);
  assert.equal(r.warnings.map((w) => `${w.line}: ${w.message}`), [
    "2: ';' right after 'v' ends the line for uci: 'option p 1' is not read; put a blank before ';', or start a new line",
    '4: a NUL byte: uci drops the text after it on this line (and may join the next line to it); remove the NUL',
  ]);
  assert.equal(uciShow(r.pkg), "backsoon.x=a\nbacksoon.x.o='v'\nbacksoon.x.q='w'\nbacksoon.x.s='2'\nbacksoon.x.n='a'\n");
  // a NUL joins the next line to its own: here that makes one word too many, as uci says too
  assert.equal(errorsOf("config a x\n\toption n a\0b\n\toption m 1\n").map((e) => e.split(':')[0]), ['2']);
});

test('the package line is recorded, but show always prints the backsoon package', () => {
  const pkg = parseOk('package other\nconfig a x\n');
  assert.is(pkg.name, 'other');
  assert.is(uciShow(pkg), 'backsoon.x=a\n');
  assert.is(uciShow(pkg, 'other'), 'other.x=a\n');
});

test('syntax errors name the line and what was expected', () => {
  const cases: [string, string][] = [
    ["config a x\n\toption o 'open\n\n", "2: unterminated ' : the quoted value opened on this line never ends; add the closing '"],
    ['config a x\n\n\toption o "open\nmore\n', '3: unterminated " : the quoted value opened on this line never ends; add the closing "'],
    ['option o 1\n', "1: option before the first 'config' line: every option belongs to a section"],
    ["config a x\n\toption 'o-x' 1\n", "2: option name 'o-x' may only contain letters, digits and '_'"],
    ["config a 'n-x'\n", "1: section name 'n-x' may only contain letters, digits and '_'"],
    ['config\n', "1: config needs a section type, as in: config server 'web'"],
    ["config '' x\n", "1: config needs a section type, as in: config server 'web'"],
    ["config a 'x' 'y'\n", "1: too many words: expected config TYPE ['NAME']; quote a name that contains blanks"],
    ['config a x\n\toption o 1 2\n', "2: too many words: expected option NAME 'VALUE'; quote a value that contains blanks"],
    ['config a x\n\toption\n', "2: option needs a name, as in: option enabled '1'"],
    ['config a x\n\tlist\n', "2: list needs a name, as in: list interface 'br-lan'"],
    ['Config a x\n', "1: unknown statement 'Config': expected config, option, list or package"],
    ["config s 'n'\nconfig t 'n'\n", "2: section 'n' was declared as config s at line 1; one name can belong to only one section type"],
    ["'config' a x\n", "1: ''config'': write the keyword config bare, without quotes or backslash, as in: config server 'web'"],
    ['config a x\n\t"option" o 1\n', "2: '\"option\"': write the keyword option bare, without quotes or backslash, as in: option enabled '1'"],
    ['config a x\n\t\\list l 1\n', "2: '\\list': write the keyword list bare, without quotes or backslash, as in: list interface 'br-lan'"],
    ['config\va x\n', "1: 'config\\x0ba': put a space or tab after the keyword config, as in: config server 'web'"],
    ['config a x\n\toption\fo 1\n', "2: 'option\\x0co': put a space or tab after the keyword option, as in: option enabled '1'"],
    ['config\r\n', "1: config needs a section type, as in: config server 'web'"],
    ["config a 'x'; bogus\n", "1: unknown statement 'bogus': expected config, option, list or package"],
    ['package a/b\n', "1: package needs a name of letters, digits, '_' and '-', as in: package backsoon"],
    ['config "a b" x\n', "1: section type 'a b' may only contain printable characters without blanks"],
  ];
  for (const [text, expected] of cases) assert.equal(errorsOf(text), [expected], JSON.stringify(text));
});

test('every syntax error in a file is reported, not only the first', () => {
  const errors = errorsOf([
    'config a x',          // 1
    '\toption o 1 2',      // 2  too many words
    '\toption ok 1',       // 3
    'bogus',               // 4  unknown statement
    "config a 'bad-name'", // 5  bad name
    '\toption p 1',        // 6  dropped with its section, no error of its own
    'config a y',          // 7
    '\toption q-r 1',      // 8  bad option name
  ].join('\n'));
  assert.equal(errors.map((e) => e.split(':')[0]), ['2', '4', '5', '8']);
});

test("options after a rejected config line do not land in the section before it", () => {
  const result = parseUci("config a x\n\toption keep 1\nconfig a 'b-c'\n\toption stray 2\n", 'f');
  assert.is(result.errors.length, 1);
  assert.equal(result.pkg.sections[0].options.map((o) => o.name), ['keep']);
});

test('the reader never throws and keeps error lines inside the file, whatever the input (fuzz)', () => {
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const alphabet = ["config ", "option ", "list ", "package ", "'", '"', '\\', '#', ';', ' ', '\t', '\n', '\r\n', 'a', 'b_1', '-', 'é', '\u0000', '\u001b'];
  for (let round = 0; round < 2000; round++) {
    let text = '';
    const length = Math.floor(random() * 60);
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
    const lines = text.replace(/\r\n/g, '\n').split('\n').length;
    const result = parseUci(text, 'fuzz');
    for (const e of result.errors) assert.ok(e.line >= 1 && e.line <= lines, `error line ${e.line} of ${lines} for ${JSON.stringify(text)}`);
    for (const s of result.pkg.sections) for (const o of s.options) for (const v of o.values) assert.ok(v.line >= 1 && v.line <= lines);
  }
});

test('written back with uci quoting, any names and values read back the same (generator round trip)', () => {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = (s: string) => s[Math.floor(random() * s.length)];
  const word = (chars: string, min: number) => {
    let w = '';
    const n = min + Math.floor(random() * 6);
    for (let i = 0; i < n; i++) w += pick(chars);
    return w;
  };
  const nameChars = 'abcXYZ019_';
  const valueChars = "ab '\"\\#;\n\t$x";
  for (let round = 0; round < 300; round++) {
    let text = '';
    let expected = '';
    const perType = new Map<string, number>();
    const names = new Set<string>();
    for (let s = 0; s < 1 + Math.floor(random() * 4); s++) {
      const type = pick('st');
      let name = random() < 0.5 ? word(nameChars, 1) : '';
      if (names.has(name)) name = '';
      if (name) names.add(name);
      const index = perType.get(type) ?? 0;
      perType.set(type, index + 1);
      const ref = name || `@${type}[${index}]`;
      text += `config ${type}${name ? ` ${uciQuote(name)}` : ''}\n`;
      expected += `backsoon.${ref}=${type}\n`;
      const used = new Set<string>();
      for (let o = 0; o < Math.floor(random() * 4); o++) {
        const option = word(nameChars, 1);
        if (used.has(option)) continue;
        used.add(option);
        const values = random() < 0.5 ? [word(valueChars, 1)] : [word(valueChars, 0), word(valueChars, 0)];
        const isList = values.length > 1;
        for (const v of values) text += `\t${isList ? 'list' : 'option'} ${option} ${uciQuote(v)}\n`;
        expected += `backsoon.${ref}.${option}=${values.map(uciQuote).join(' ')}\n`;
      }
    }
    assert.fixture(uciShow(parseOk(text)), expected);
  }
});

test.run();
