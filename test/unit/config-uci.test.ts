// The UCI reader: grammar edge cases, line numbers, syntax errors, and `config show` output.
// The expected `show` outputs are what libuci's `uci show` prints for the same text; they were
// written from uci's file.c/cli.c and checked against uci built from openwrt/uci (66127cd).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseUci, findOption, type UciPackage } from '../../src/config/uci';
import { uciShow, uciQuote } from '../../src/config/show';

function parseOk(text: string): UciPackage {
  const result = parseUci(text, 'test.conf');
  assert.equal(result.errors, [], 'no syntax error expected');
  return result.pkg;
}

function errorsOf(text: string): string[] {
  return parseUci(text, 'f').errors.map((e) => `${e.line}: ${e.message}`);
}

// <uci-show-cases>
const SHOW_CASES: { name: string; text: string; show: string }[] = [
  {
    name: 'named section, options, a list',
    text: "config backsoon 'main'\n\toption enabled '1'\n\tlist interface 'eth0'\n\tlist interface 'br-lan'\n",
    show: "backsoon.main=backsoon\nbacksoon.main.enabled='1'\nbacksoon.main.interface='eth0' 'br-lan'\n",
  },
  {
    name: "a single quote inside a value is printed as '\\''",
    text: "config a 'x'\n\toption o 'it'\\''s'\n\toption p \"don't\"\n",
    show: "backsoon.x=a\nbacksoon.x.o='it'\\''s'\nbacksoon.x.p='don'\\''t'\n",
  },
  {
    name: 'double quotes: backslash keeps the next character as it is',
    text: 'config a x\n\toption o "a\\"b\\\\c\\nd"\n',
    show: "backsoon.x=a\nbacksoon.x.o='a\"b\\cnd'\n",
  },
  {
    name: 'single quotes are literal: a backslash stays',
    text: "config a x\n\toption o 'a\\'\n",
    show: "backsoon.x=a\nbacksoon.x.o='a\\'\n",
  },
  {
    name: 'adjacent quoted and unquoted pieces make one word',
    text: "config a x\n\toption o 'a'\"b\"c\\ d\n\toption p it''s\n",
    show: "backsoon.x=a\nbacksoon.x.o='abc d'\nbacksoon.x.p='its'\n",
  },
  {
    name: 'unquoted backslash escapes a blank and a #',
    text: 'config a x\n\toption o a\\ b\n\toption p \\#x\n',
    show: "backsoon.x=a\nbacksoon.x.o='a b'\nbacksoon.x.p='#x'\n",
  },
  {
    name: 'a quoted value may span lines; the line break is kept',
    text: "config a x\n\toption o 'line1\nline2'\n\toption p \"multi\n\tline\"\n",
    show: "backsoon.x=a\nbacksoon.x.o='line1\nline2'\nbacksoon.x.p='multi\n\tline'\n",
  },
  {
    name: 'backslash + line break joins lines (unquoted and in double quotes)',
    text: 'config a x\n\toption o foo\\\nbar\n\toption p "foo\\\n  bar"\n',
    show: "backsoon.x=a\nbacksoon.x.o='foobar'\nbacksoon.x.p='foo  bar'\n",
  },
  {
    name: "comments: whole lines, after values, and '#' inside an unquoted word",
    text: "# head\n  # indented\nconfig a 'x'  # after the name\n\toption o foo#bar\n\toption p 'q'#c\n\toption r 'has # inside' # end\n",
    show: "backsoon.x=a\nbacksoon.x.o='foo'\nbacksoon.x.p='q'\nbacksoon.x.r='has # inside'\n",
  },
  {
    name: 'anonymous sections are @type[i], i counted over every section of the type',
    text: "config s\n\toption a 1\nconfig s 'n'\nconfig s\n\toption b 2\nconfig t\nconfig s ''\n",
    show: "backsoon.@s[0]=s\nbacksoon.@s[0].a='1'\nbacksoon.n=s\nbacksoon.@s[2]=s\nbacksoon.@s[2].b='2'\nbacksoon.@t[0]=t\nbacksoon.@s[3]=s\n",
  },
  {
    name: 'a repeated named section merges; a repeated option keeps its place and the last value',
    text: "config s 'n'\n\toption a 1\n\toption b 2\nconfig s 'm'\nconfig s 'n'\n\toption a 333\n\toption c 3\n\tlist l x\nconfig s 'n'\n\tlist l y\n",
    show: "backsoon.n=s\nbacksoon.n.a='333'\nbacksoon.n.b='2'\nbacksoon.n.c='3'\nbacksoon.n.l='x' 'y'\nbacksoon.m=s\n",
  },
  {
    name: "an empty option value sets nothing; an empty list item is kept",
    text: "config a x\n\toption o 1\n\toption o ''\n\toption p\n\toption q '' # c\n\tlist l ''\n\tlist l\n\tlist l 'z'\n",
    show: "backsoon.x=a\nbacksoon.x.o='1'\nbacksoon.x.l='' '' 'z'\n",
  },
  {
    name: 'one-letter statements, package line, punctuation in a type, quoted names',
    text: "package foo\nc 'a-b.c' x\n\to \"o\" 1\n\tl b 'x y'\n\tl b z\n",
    show: "backsoon.x=a-b.c\nbacksoon.x.o='1'\nbacksoon.x.b='x y' 'z'\n",
  },
  {
    name: 'blanks: tabs between words, blank lines, trailing blanks, tabs inside a value',
    text: "\n\n  config a 'x'  \n\t\toption  o\t'1'  \n\n\toption t 'a\tb'\n\tlist l 'x\ty'\n",
    show: "backsoon.x=a\nbacksoon.x.o='1'\nbacksoon.x.t='a\tb'\nbacksoon.x.l='x\ty'\n",
  },
  {
    name: 'CRLF line ends',
    text: "config a x\r\n\toption o 'v'\r\n\tlist l 1\r\n\tlist l 2\r\n",
    show: "backsoon.x=a\nbacksoon.x.o='v'\nbacksoon.x.l='1' '2'\n",
  },
  {
    name: 'UTF-8 text and no line end at the end of the file',
    text: "config a x\n\toption o 'Grüße'\n\toption p v",
    show: "backsoon.x=a\nbacksoon.x.o='Grüße'\nbacksoon.x.p='v'\n",
  },
];
// </uci-show-cases>

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
  assert.equal(findOption(web, 'probe')?.values, [{ value: 'arp', line: 7 }, { value: 'tcp:80', line: 9 }]);
  assert.is(findOption(contact, 'mail')?.line, 11);
});

test('a value word that starts on a later line than its statement keeps its own line', () => {
  const pkg = parseOk("config a x\n\toption o \\\n'v'\n");
  const o = findOption(pkg.sections[0], 'o')!;
  assert.is(o.line, 2);
  assert.is(o.values[0].value, 'v');
});

test('CRLF inside a multi-line quoted value is read as LF (libuci would keep the CR)', () => {
  const pkg = parseOk("config a x\r\n\toption m 'l1\r\nl2'\r\n\toption n 'v'\r\n");
  assert.is(findOption(pkg.sections[0], 'm')?.values[0].value, 'l1\nl2');
  assert.is(findOption(pkg.sections[0], 'n')?.line, 4);
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
    ['config a x\n\tlist l 1\n\toption l 2\n', "3: l was given with 'list' at line 2; use 'list' for every value of a list, or 'option' for a single value"],
    ['config a x\n\toption l 1\n\tlist l 2\n', "3: l was given with 'option' at line 2; use 'list' for every value of a list, or 'option' for a single value"],
    ["config s 'n'\nconfig t 'n'\n", "2: section 'n' was declared as config s at line 1; one name can belong to only one section type"],
    ['config a x\n\toption o v; option p 1\n', "2: unquoted ';': write one statement per line, or quote the value if ';' belongs to it"],
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
