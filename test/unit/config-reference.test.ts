// The schema is the single source: docs/CONFIG.md and the shipped default file must follow it.
import '../../src/parts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configReference } from '../../src/config/reference';
import { SCHEMA } from '../../src/config/schema';
import { checkConfigText } from '../../src/config/validate';
import { formatError, formatWarning } from '../../src/config/diagnostics';
import { parseValue } from '../../src/config/values';

const ROOT = resolve(__dirname, '../..');
const DEFAULT_FILE = 'board/openwrt/files/etc/config/backsoon';
const defaultText = readFileSync(resolve(ROOT, DEFAULT_FILE), 'utf8');

test('docs/CONFIG.md is what the schema generates', () => {
  const onDisk = readFileSync(resolve(ROOT, 'docs/CONFIG.md'), 'utf8');
  assert.ok(onDisk === configReference(),
    'docs/CONFIG.md is out of date: run  npx tsx src/main.ts config reference > docs/CONFIG.md');
});

test('the reference names every section type and option', () => {
  const md = configReference();
  for (const section of SCHEMA) {
    assert.ok(md.includes(`## \`${section.header}\``), section.type);
    for (const o of section.options) assert.ok(md.includes(`| \`${o.name}\` |`), `${section.type}.${o.name}`);
  }
});

test('every default in the schema is a valid value of its kind', () => {
  for (const section of SCHEMA) {
    for (const o of section.options) {
      if (o.default === undefined) continue;
      assert.is(Array.isArray(o.default), Boolean(o.list), `${section.type}.${o.name}: list default iff list option`);
      for (const text of Array.isArray(o.default) ? o.default : [o.default as string]) {
        const parsed = parseValue(o.kind, text, o);
        assert.ok(parsed.ok && !parsed.warning, `${section.type}.${o.name} default '${text}'`);
      }
    }
  }
});

test('the shipped default file documents every section type and option', () => {
  for (const section of SCHEMA) {
    assert.ok(new RegExp(`^#?config ${section.type}\\b`, 'm').test(defaultText), `config ${section.type}`);
    for (const o of section.options) {
      assert.ok(new RegExp(`^\\s*#?\\s*(option|list) ${o.name} `, 'm').test(defaultText), `${section.type}.${o.name}`);
    }
  }
});

test('the shipped default file is valid, without a warning, and watches br-lan', () => {
  const check = checkConfigText(defaultText, DEFAULT_FILE, { hostname: 'OpenWrt' });
  assert.equal(check.errors.map(formatError), []);
  assert.equal(check.warnings.map(formatWarning), []);
  assert.ok(check.config!.main.enabled);
  assert.equal(check.config!.main.clientInterfaces, ['br-lan']);
});

test('the commented examples in the default file are valid once uncommented', () => {
  const uncommented = defaultText.replace(/^#(config |\t)/gm, '$1');
  const check = checkConfigText(uncommented, 'uncommented', { hostname: 'OpenWrt' });
  assert.equal(check.errors.map(formatError), []);
  const c = check.config!;
  assert.is(c.servers.length, 1);
  assert.is(c.contacts.length, 2);
  assert.is(c.mail?.port, 587);
  assert.is(c.snmp.users.length, 1);
  assert.is(c.watch.networks.length, 2);
});

test.run();
