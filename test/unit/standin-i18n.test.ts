// The page speaks the visitor's language: chosen from Accept-Language (or the page's own
// language links), English by default; more languages come as JSON files, checked on load.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtInCatalogs, chooseCatalog, fillHtml, loadCatalogs, parseAcceptLanguage } from '../../src/standin/i18n';
import en from '../../src/standin/lang/en.json';

const tagFor = (header: string | undefined, override?: string) => chooseCatalog(builtInCatalogs, header, override).tag;

test('Accept-Language picks the most wanted language we have', () => {
  assert.is(tagFor('ja,en-US;q=0.9,en;q=0.8'), 'ja');
  assert.is(tagFor('ja-JP'), 'ja', 'a regional tag finds its language');
  assert.is(tagFor('en-GB,ja;q=0.5'), 'en');
  assert.is(tagFor('fr-FR,fr;q=0.9,ja;q=0.4,en;q=0.3'), 'ja', 'French is not there: the next wanted');
  assert.is(tagFor('en;q=0.2, ja;q=0.8'), 'ja', 'q decides, not order');
  assert.is(tagFor('ja;q=0, en'), 'en', 'q=0 means not wanted');
  assert.is(tagFor('fr'), 'en', 'nothing matches: English');
  assert.is(tagFor(undefined), 'en');
  assert.is(tagFor('*'), 'en');
});

test('the language links override Accept-Language, only with a language we have', () => {
  assert.is(tagFor('en', 'ja'), 'ja');
  assert.is(tagFor('ja', 'xx'), 'ja');
});

test('hostile Accept-Language headers are bounded and never break the choice', () => {
  assert.is(tagFor('<script>alert(1)</script>, ja'), 'ja');
  assert.is(tagFor('x;q=abc,'.repeat(10_000) + 'ja'), 'en', 'only the first 1 KiB is read');
  assert.ok(parseAcceptLanguage('a,'.repeat(1000)).length <= 32);
  assert.equal(parseAcceptLanguage('ja;q=0.5;foo=bar, en-US ; q = 0.9'), ['en-US', 'ja']);
});

test('a language file adds a language; gaps fall back to English and are reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-st-lang-'));
  try {
    const de: Record<string, string> = { language: 'Deutsch', heading: '{name} ist gerade nicht erreichbar', yes: 'Sagt mir Bescheid' };
    de.ask = 'Mail <b>wenn</b> es zurück ist?'; // markup in a catalog is text, not markup
    de.known = 'Wir schreiben an {address}.';  // wrong placeholder
    de.bogus = 'x';
    writeFileSync(join(dir, 'de.json'), JSON.stringify(de));
    writeFileSync(join(dir, 'fr.json'), '{ not json');
    writeFileSync(join(dir, 'x_y.json'), '{}');
    const warnings: string[] = [];
    const catalogs = loadCatalogs(dir, (m) => warnings.push(m));
    assert.equal(catalogs.map((c) => c.tag).sort(), ['de', 'en', 'ja']);
    const german = chooseCatalog(catalogs, 'de-AT,en;q=0.5');
    assert.is(german.tag, 'de');
    assert.is(german.messages.heading, '{name} ist gerade nicht erreichbar');
    assert.is(german.messages.known, en.known, 'a message with other placeholders is replaced by English');
    assert.is(german.messages.no, en.no, 'a missing message is English');
    assert.is(fillHtml(german.messages.ask, {}), 'Mail &lt;b&gt;wenn&lt;/b&gt; es zurück ist?');
    const all = warnings.join('\n');
    assert.match(all, /de\.json: "known" must use exactly the placeholders \{mail\}/);
    assert.match(all, /de\.json: \d+ messages missing or unusable/);
    assert.match(all, /de\.json: unknown keys ignored: bogus/);
    assert.match(all, /fr\.json: cannot be read as JSON/);
    assert.match(all, /x_y\.json: the file name must be a language tag/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing languages directory is reported and the built-in languages stay', () => {
  const warnings: string[] = [];
  const catalogs = loadCatalogs('/nonexistent/bs-st-lang', (m) => warnings.push(m));
  assert.equal(catalogs.map((c) => c.tag), ['en', 'ja']);
  assert.match(warnings[0], /languages_dir '\/nonexistent\/bs-st-lang': ENOENT/);
});

test.run();
