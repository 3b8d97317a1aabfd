// `backsoon config show` against OpenWrt's own `uci show` (uci built from source by `make
// openwrt-host`): on every file both print the same bytes, or both reject it. Needs
// build/openwrt/host/bin/uci and fails, naming the make target, when it is missing.
// Inputs: one test per way a reader can drift from libuci, uci's own test files (read from
// the uci source archive), and a bounded seeded generator of awkward files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { uciShow as ourShow } from '../../src/config/show';
import { parseUci } from '../../src/config/uci';
import { openwrtSource, uciShow, uciShowMany, type UciShow } from './openwrt-host';
import { ENV, ROOT } from './board-helpers';
import { generatedUciFiles } from './uci-generate';
import { SHOW_CASES } from './uci-show-cases';

const GENERATED = 1200;
const SEED = 0x0c1;

const bytes = (text: string) => Buffer.from(text, 'latin1');
const shown = (b: Uint8Array) => JSON.stringify(Buffer.from(b).toString('latin1'));

interface Verdict {
  readonly agree: boolean;
  readonly uci: UciShow;
  readonly ours: { ok: boolean; stdout: Buffer; errors: string[] };
}

function compare(input: Uint8Array, uci: UciShow = uciShow(input)): Verdict {
  const parsed = parseUci(input, 'backsoon');
  const ours = { ok: parsed.errors.length === 0, stdout: ourShow(parsed.pkg), errors: parsed.errors.map((e) => `${e.line}: ${e.message}`) };
  const agree = uci.status === 0 ? ours.ok && ours.stdout.equals(uci.stdout) : !ours.ok;
  return { agree, uci, ours };
}

function describe(input: Uint8Array, v: Verdict): string {
  return `input ${shown(input)}\n  uci (exit ${v.uci.status}): ${shown(v.uci.stdout)} ${v.uci.stderr}\n` +
    `  ours (${v.ours.ok ? 'accepted' : 'rejected'}): ${shown(v.ours.stdout)} ${v.ours.errors.join('; ')}`;
}

/** Every input agrees; for accepted ones the output is also what the test expects (null: rejected). */
function expectEach(cases: readonly (readonly [string, string | null])[]): void {
  for (const [text, expected] of cases) {
    const input = bytes(text);
    const v = compare(input);
    assert.ok(v.agree, describe(input, v));
    if (expected === null) assert.is.not(v.uci.status, 0, `uci accepted ${shown(input)}`);
    else assert.is(v.uci.stdout.toString('latin1'), expected, describe(input, v));
  }
}

test("';' between statements: accepted; right after an unquoted word it ends the line", () => {
  expectEach([
    ["config t 'a'; option o '1'\n", "backsoon.a=t\nbacksoon.a.o='1'\n"],
    ["config t 'a' ; option o 1 ;list l 2 ; list l '3'\n", "backsoon.a=t\nbacksoon.a.o='1'\nbacksoon.a.l='2' '3'\n"],
    ["config t 'a'; option o '1';\n", null],
    ["config t a; option o 1\n", 'backsoon.a=t\n'],
    ["config t 'a'\n\toption o v;w\n\toption p \"x\"y; option q 1\n", "backsoon.a=t\nbacksoon.a.o='v'\nbacksoon.a.p='xy'\nbacksoon.a.q='1'\n"],
    ["config t 'a'\n\toption p \"x\"y;z\n", null],
    ["config t 'a'\n\toption o 'a;b'\n\toption p a\\;b\n", "backsoon.a=t\nbacksoon.a.o='a;b'\nbacksoon.a.p='a;b'\n"],
    ["config t 'a'; ;option o 1\n", null],
    ["config t 'a'; bogus\n", null],
  ]);
});

test('option and list on one name: option then list makes a list, list then option keeps the option', () => {
  expectEach([
    ["config t 'a'\n\toption o '1'\n\tlist o '2'\n", "backsoon.a=t\nbacksoon.a.o='1' '2'\n"],
    ["config t 'a'\n\tlist o '1'\n\tlist o '2'\n\toption o '3'\n", "backsoon.a=t\nbacksoon.a.o='3'\n"],
    ["config t 'a'\n\toption p 0\n\tlist o 1\n\toption q 0\n\toption o 2\n\tlist o 3\n", "backsoon.a=t\nbacksoon.a.p='0'\nbacksoon.a.o='2' '3'\nbacksoon.a.q='0'\n"],
    ["config t 'a'\n\tlist o 1\n\toption o ''\n", "backsoon.a=t\nbacksoon.a.o='1'\n"],
  ]);
});

test('CR: kept inside a quoted value that spans lines, a blank elsewhere', () => {
  expectEach([
    ["config t 'a'\r\n\toption o 'l1\r\nl2'\r\n", "backsoon.a=t\nbacksoon.a.o='l1\r\nl2'\n"],
    ["config t 'a'\r\n\toption o \"l1\r\nl2\"\r\n\toption p 'x\ry'\r\n", "backsoon.a=t\nbacksoon.a.o='l1\r\nl2'\nbacksoon.a.p='x\ry'\n"],
    ["config t 'a'\r\n\toption o v\\\r\nw\r\n", "backsoon.a=t\nbacksoon.a.o='vw'\n"],
    ["config t 'a'\r\n\toption o a\rb\r\n", null],
  ]);
});

test('bytes that are not UTF-8: printed as they are', () => {
  expectEach([
    ["config t 'a'\n\toption o '\xff\xfe'\n\toption p \"\xc3\"\n\tlist l \xe2\x82\n", "backsoon.a=t\nbacksoon.a.o='\xff\xfe'\nbacksoon.a.p='\xc3'\nbacksoon.a.l='\xe2\x82'\n"],
    ["config t 'a'\n\toption o 'Gr\xc3\xbc\xc3\x9fe \xc0\xaf'\n", "backsoon.a=t\nbacksoon.a.o='Gr\xc3\xbc\xc3\x9fe \xc0\xaf'\n"],
    ["config t '\xe9'\n", null],
    ["config t\xff 'a'\n", null],
  ]);
});

test('keywords quoted or escaped: rejected', () => {
  expectEach([
    ["'config' t 'a'\n", null],
    ["\"config\" t 'a'\n", null],
    ["config t 'a'\n\t'option' o 1\n", null],
    ["config t 'a'\n\t\\list l 1\n", null],
    ["con'fig' t 'a'\n", null],
    ["Config t 'a'\n", null],
  ]);
});

test('\\v, \\f or \\r right after a keyword: rejected (only a space or tab ends a keyword)', () => {
  expectEach([
    ["config\vt 'a'\n", null],
    ["config\ft 'a'\n", null],
    ["config t 'a'\n\toption\vo 1\n", null],
    ["config t 'a'\n\tlist\fl 1\n", null],
    ["config\r\n", null],
    ["config t 'a'\n\toption o\v1\n", "backsoon.a=t\nbacksoon.a.o='1'\n"],
  ]);
});

test('NUL: ends what its part of the line says; the next line may join it', () => {
  expectEach([
    ["config t 'a'\n\toption o 'x\0y'\n", null],
    ["config t 'a'\n\toption o x\0y\n", "backsoon.a=t\nbacksoon.a.o='x'\n"],
    ["config t 'a'\n\toption o x\0y\n\toption p 1\n", null],
    ["config t 'a'\n\toption o x\0\n'z'\n", "backsoon.a=t\nbacksoon.a.o='xz'\n"],
    ["config t 'a'\n\0\toption o 1\n\toption p 2\n", "backsoon.a=t\nbacksoon.a.p='2'\n"],
    [`config t 'a'\n\toption o '${'y'.repeat(40)}\0z'\n\toption p 2'\n`, `backsoon.a=t\nbacksoon.a.o='${'y'.repeat(40)}\toption p 2'\n`],
  ]);
});

test('the reader\'s own grammar cases', () => {
  for (const c of SHOW_CASES) {
    const input = Buffer.from(c.text, 'utf8');
    const v = compare(input);
    assert.ok(v.agree, `${c.name}: ${describe(input, v)}`);
    assert.is(v.uci.stdout.toString('utf8'), c.show, c.name);
  }
});

/** uci's test files, taken from the source archive at test time: configs, expected outputs, fuzz inputs. */
function uciTestFiles(): { name: string; bytes: Buffer }[] {
  const dir = mkdtempSync(join(tmpdir(), 'bs-uci-tests-'));
  try {
    const r = spawnSync('tar', ['-xzf', openwrtSource('uci.tar.gz'), '-C', dir, 'uci/tests'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tar: ${r.stderr}`);
    const files: { name: string; bytes: Buffer }[] = [];
    const walk = (d: string) => {
      for (const entry of readdirSync(d).sort()) {
        const path = join(d, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\/(references|config|inputs|corpus)\/[^/]+$/.test(path)) files.push({ name: relative(dir, path), bytes: readFileSync(path) });
      }
    };
    walk(join(dir, 'uci/tests'));
    return files;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function agreementOver(inputs: readonly { name: string; bytes: Uint8Array }[]): { agreed: number; accepted: number; disagreements: string[] } {
  const shows = uciShowMany(inputs.map((i) => i.bytes));
  const accepted = shows.filter((s) => s.status === 0).length;
  const disagreements: string[] = [];
  inputs.forEach((input, i) => {
    const v = compare(input.bytes, shows[i]);
    if (!v.agree) disagreements.push(`${input.name}: ${describe(input.bytes, v)}`);
  });
  return { agreed: inputs.length - disagreements.length, accepted, disagreements };
}

test("uci's own test files (tests/ of the uci archive): same output or both reject", () => {
  const files = uciTestFiles();
  assert.ok(files.length >= 50, `only ${files.length} test files found in uci.tar.gz`);
  const { agreed, disagreements } = agreementOver(files);
  assert.equal(disagreements, [], `${agreed}/${files.length} agree`);
});

test(`${GENERATED} generated files (seed ${SEED}): same output or both reject`, () => {
  const files = [...generatedUciFiles(SEED, GENERATED)].map(({ index, bytes: b }) => ({ name: `file ${index}`, bytes: b }));
  const { agreed, accepted, disagreements } = agreementOver(files);
  // the generator must reach both sides of the line, or it tests little
  assert.ok(accepted > GENERATED / 4 && accepted < GENERATED * 3 / 4, `uci accepted ${accepted} of ${GENERATED}`);
  assert.equal(disagreements.slice(0, 5), [], `${agreed}/${GENERATED} agree`);
});

test('`backsoon config show FILE` prints the bytes `uci show` prints; a file uci rejects exits 2 with FILE:LINE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-uci-cli-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'backsoon');
  const run = () => spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'src/main.ts'), 'config', 'show', file], { env: ENV, timeout: 60_000 });
  const good = bytes("config t 'a'; option o '1'\n\tlist o '\xff'\r\n\toption m 'l1\r\nl2'\n");
  writeFileSync(file, good);
  const r = run();
  assert.is(r.status, 0, r.stderr.toString());
  assert.equal(r.stdout, uciShow(good).stdout);
  writeFileSync(file, bytes("config t 'a'\n\t'option' o 1\n"));
  const bad = run();
  assert.is(bad.status, 2);
  assert.is(bad.stdout.length, 0);
  assert.match(bad.stderr.toString(), `${file}:2: ''option'': write the keyword option bare`);
  assert.is.not(uciShow(bytes("config t 'a'\n\t'option' o 1\n")).status, 0);
});

test.run();
