// procd validation parity: the init script's validate_data spec for config backsoon 'main'
// (read from the script itself) and `backsoon config check` agree on every value of every
// option of the schema, and what reaches the script through OpenWrt's uci_load_validate is what
// the admin wrote. Needs OpenWrt's validate_data, uci, procd.sh and functions.sh (make
// openwrt-host) and fails when they are missing. A new option in the schema fails here until
// the script has its spec (the message gives the line) and its kind has an exact datatype.
// It spawns some hundreds of shells and node processes: 37 s of CPU, 53-120 s of wall clock on
// the shared 2-core machine, where the unit default (120 s) cut it once.
// test-timeout: 300
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decimalRange, validateDataSpec } from '../../src/config/procd-datatypes';
import { sectionSpec, type OptionSpec } from '../../src/config/schema';
import { checkConfigText } from '../../src/config/validate';
import { TRUE_WORDS, FALSE_WORDS } from '../../src/config/values';
import { FIXTURES, INIT_SCRIPT, busybox, tempDir } from './board-helpers';
import { OpenWrtRoot } from './openwrt-root';

const MAIN = sectionSpec('backsoon')!;
const dir = tempDir('validation');
const POLICY = join(dir, 'policy.js');
writeFileSync(POLICY, 'export default {};\n');
const CANARY = join(dir, 'canary');

/** The NAME:TYPE[:DEFAULT] arguments the script gives uci_load_validate, as the shell expands them. */
function scriptSpecs(): Map<string, string> {
  const r = spawnSync(busybox(), ['sh', '-c', '. "$1"; uci_load_validate() { shift 4; printf "%s\\n" "$@"; }; validate_backsoon_section', 'sh', INIT_SCRIPT],
    { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return new Map(r.stdout.trim().split('\n').map((spec) => [spec.split(':')[0], spec]));
}

test("every option of config backsoon 'main' has its validate_data spec in the init script, as derived from the schema", () => {
  const specs = scriptSpecs();
  for (const option of MAIN.options) {
    const expected = validateDataSpec(option);
    assert.is(specs.get(option.name), expected, `option ${option.name}: write "${expected}" in validate_backsoon_section`);
  }
  assert.equal([...specs.keys()], MAIN.options.map((o) => o.name), 'the script validates only the schema\'s options, in its order');
});

test('decimalRange matches exactly the numbers of its range, without leading zeros', () => {
  for (const [min, max] of [[1, 65535], [0, 15], [5, 86400], [60, 31536000], [256, 262144], [7, 7], [10, 19], [95, 1005]]) {
    const re = new RegExp(`^${decimalRange(min, max)}$`);
    const limit = Math.min(max + 1000, 1_000_000);
    for (let n = 0; n <= limit; n++) assert.is(re.test(String(n)), n >= min && n <= max, `${n} in ${min}..${max}`);
    for (const text of ['01', '007', ' 1', '+1', '1 ', '']) assert.is(re.test(text), false, `'${text}' in ${min}..${max}`);
  }
});

const ANY_KIND = ['', ' ', "'", '"', ';', '\\', '*', '?', 'a b', '\t', 'x\ny', 'x\ry', '\xff', '\xc3\xa9', '\xd9\xa3',
  `$(touch ${CANARY})`, `\`touch ${CANARY}\``, 'canary; canary', 'canary'];

/** Awkward values for an option: around its limits, in other notations, with blanks, quotes and bytes. */
function awkward(option: OptionSpec): string[] {
  const values = [...ANY_KIND];
  const numbers = (min: number, max: number) => values.push(String(min), String(max), String(min - 1), String(max + 1),
    '0', '30', '030', '0x1E', '+30', ' 30', '30 ', '-0', '-1', '4294967326', '4294967296', '99999999999', '1e3', '30s', '3.0',
    '\xd9\xa3\xd9\xa0', '\xef\xbc\x93\xef\xbc\x90');
  switch (option.kind) {
    case 'bool':
      values.push(...TRUE_WORDS, ...FALSE_WORDS, 'YES', 'True', 'ON', 'Disabled', '2', 'y', ' 1', '1 ', '01');
      break;
    case 'uint':
    case 'duration':
      numbers(option.min ?? 0, option.max ?? 0xffffffff);
      break;
    case 'port':
      numbers(1, 65535);
      break;
    case 'enum':
      for (const v of option.values ?? []) values.push(v, v.toUpperCase(), ` ${v}`, `${v} `, `${v}x`);
      break;
    case 'icmp_code':
      for (let code = 0; code <= 16; code++) values.push(String(code));
      values.push('00', '0 1', '0\t5', '1,2', '3 0', ' 1');
      break;
    case 'icmp6_code':
      for (let code = 0; code <= 8; code++) values.push(String(code));
      values.push('03', '0 3', '0\t3', '0,3', '3 0', ' 3', '256');
      break;
    case 'iface':
      values.push('br-lan', 'eth0.2', 'wlan0-1', 'a_b', 'lo', '.', '..', '...', 'a/b', 'a:b', '123456789012345',
        '1234567890123456', 'eth0*', 'a@b', '-', 'eth0 br-lan', ' eth1', 'eth0\teth1', 'a+b');
      break;
    case 'path':
      values.push('/etc/x', 'etc/x', '/', '/a b', '/\xc3\xa9', `/${'x'.repeat(4094)}`, `/${'x'.repeat(4095)}`, "/it's", '/a;b');
      if (option.exists === 'file') values.push(POLICY, '/nonexistent/policy.js', tmpdir(), `${POLICY} `);
      break;
    case 'listen':
      values.push('127.0.0.1:9100', '0.0.0.0:1', '255.255.255.255:65535', ':9100', '127.0.0.1:0', '127.0.0.1:65536',
        '127.0.0.01:80', '1.2.3.4:080', '1.2.3:80', '[::1]:80', '127.0.0.1:9100 ', 'localhost:80', '127.0.0.1::80',
        '127.0.0.1', '127.0.0.1 9100', '127.0.0.1;9100', '256.0.0.1:80');
      break;
    case 'ip':
      values.push('192.0.2.1', '0.0.0.0', '192.0.2.01', '256.1.1.1', '1.2.3', '192.0.2.1/24', '2001:db8::1', '2001:DB8::1', '::',
        '::1', 'fe80::1', 'fe80::1%br-lan', '2001:db8::1/64', '::ffff:192.0.2.1', '::192.0.2.1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9',
        '1::2::3', '1:2:3:4:5:6:7::', '::1.2.3.04', '12345::1', 'g::1', ' ::1', '::1 ', '[::1]', ':1', '1:');
      break;
    case 'ipv4':
      values.push('192.0.2.1', '0.0.0.0', '192.0.2.01', '256.1.1.1', '1.2.3', '::1', '192.0.2.1 ', '192.0.2.1/24');
      break;
    default:
      throw new Error(`option ${option.name}: add awkward values for kind '${option.kind}' here`);
  }
  return [...new Set(values)];
}

const quote = (value: string) => `'${value.replace(/'/g, "'\\''")}'`;

interface Case {
  readonly option: OptionSpec;
  readonly value: string;
  readonly line: number;
  readonly file: string;
}

/**
 * A file with the one value in section 'main'. The one rule between two options
 * (max_links_per_server <= max_links) is kept quiet: validate_data checks values one by one.
 */
function caseFile(option: OptionSpec, value: string): { text: string; line: number } {
  const context = option.name === 'max_links' ? "\toption max_links_per_server '1'\n" : "\toption max_links '4194304'\n";
  const statement = `\t${option.list ? 'list' : 'option'} ${option.name} ${quote(value)}\n`;
  return { text: `config backsoon 'main'\n${context}${statement}`, line: 3 };
}

function cases(): Case[] {
  return MAIN.options.flatMap((option) => awkward(option).map((value) => {
    const { text, line } = caseFile(option, value);
    return { option, value, line, file: text };
  }));
}

/** `backsoon config check`'s verdict on the value: no error on its line. */
function checkAccepts(c: Case): boolean {
  const check = checkConfigText(Buffer.from(c.file, 'latin1'), '/etc/config/backsoon');
  return !check.errors.some((e) => e.line === c.line);
}

interface ScriptView {
  /** uci_load_validate's verdict: 0 valid. */
  readonly status: string;
  /** The option's variable as the script sees it; null when unset. */
  readonly variable: string | null;
  /** is_true of it. */
  readonly isTrue: boolean;
  readonly stderr: string;
}

/** Every case through OpenWrt's uci_load_validate with the script's spec, in one router-like shell. */
function throughTheScript(all: readonly Case[]): ScriptView[] {
  const router = new OpenWrtRoot('validation');
  const casesDir = join(dir, 'cases');
  all.forEach((c, i) => {
    mkdirSync(join(casesDir, String(i)), { recursive: true });
    writeFileSync(join(casesDir, String(i), 'config'), Buffer.from(c.file, 'latin1'));
    writeFileSync(join(casesDir, String(i), 'option'), c.option.name);
  });
  const r = router.exec(['/bin/sh', join(FIXTURES, 'validate-cases.sh')], { env: { CASES: casesDir } });
  assert.is(r.status, 0, r.stderr);
  return all.map((_, i) => {
    const at = (name: string) => join(casesDir, String(i), name);
    return {
      status: readFileSync(at('status'), 'utf8'),
      variable: existsSync(at('variable')) ? readFileSync(at('variable'), 'latin1') : null,
      isTrue: existsSync(at('true')),
      stderr: readFileSync(at('stderr'), 'latin1'),
    };
  });
}

const words = (text: string) => text.split(/[ \t]+/).filter((w) => w !== '');

test('validate_data with the script\'s spec and `backsoon config check` agree on every awkward value of every option; what reaches the script is what was written', () => {
  const all = cases();
  const views = throughTheScript(all);
  const disagreements: string[] = [];
  all.forEach((c, i) => {
    const view = views[i];
    const ours = checkAccepts(c);
    const theirs = view.status === '0';
    const label = `${c.option.list ? 'list' : 'option'} ${c.option.name} ${JSON.stringify(c.value)}`;
    if (ours !== theirs) {
      disagreements.push(`${label}: config check ${ours ? 'accepts' : 'rejects'}, validate_data ${theirs ? 'accepts' : 'rejects'}`);
      return;
    }
    if (/not found|syntax error/.test(view.stderr)) disagreements.push(`${label}: the shell ran something: ${view.stderr}`);
    if (c.value === '' && !c.option.list) return; // uci sets nothing for option NAME ''
    if (!ours) {
      // refused: the value does not reach the script at all
      if (view.variable !== null && words(view.variable).includes(c.value)) disagreements.push(`${label}: refused, yet the script sees it`);
      return;
    }
    const reached = view.variable ?? '';
    if (c.option.list ? words(reached).join(' ') !== words(c.value).join(' ') : reached !== c.value) {
      disagreements.push(`${label}: the script sees ${JSON.stringify(reached)}`);
    }
    if (c.option.kind === 'bool' && view.isTrue !== (TRUE_WORDS as readonly string[]).includes(c.value)) {
      disagreements.push(`${label}: the script reads it as ${view.isTrue}`);
    }
  });
  assert.equal(disagreements, [], `${all.length - disagreements.length}/${all.length} agree`);
  assert.not.ok(existsSync(CANARY), 'a value was run as a command');
  // the set reaches both sides of the line for every option
  for (const option of MAIN.options) {
    const verdicts = all.map((c, i) => (c.option === option ? views[i].status : null)).filter((s) => s !== null);
    assert.ok(verdicts.includes('0') && verdicts.some((s) => s !== '0'), `${option.name}: its values are all ${verdicts[0] === '0' ? 'accepted' : 'refused'}`);
  }
});

test.run();
