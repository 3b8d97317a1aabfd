// What the page shows of untrusted text: escaped, masked, or replaced by a safe default.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeHtml, maskMail, safeReturnPath } from '../../src/standin/escape';
import { fillHtml, fillText } from '../../src/standin/i18n';
import { formatPageDuration, formatPageTime } from '../../src/standin/page';
import en from '../../src/standin/lang/en.json';
import ja from '../../src/standin/lang/ja.json';

test('escapeHtml leaves no character that opens a tag or ends an attribute', () => {
  const payload = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>&amp;`;
  const out = escapeHtml(payload);
  assert.not.match(out, /[<>"']/);
  assert.is(out, '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;&amp;amp;');
});

test('maskMail shows the first character and the domain only', () => {
  assert.is(maskMail('alice@example.org'), 'a***@example.org');
  assert.is(maskMail('x@y.example'), 'x***@y.example');
  assert.is(maskMail('no-at-sign'), '***');
});

test('safeReturnPath keeps local paths and refuses other sites, URLs and control characters', () => {
  assert.is(safeReturnPath('/shop/cart?id=3'), '/shop/cart?id=3');
  assert.is(safeReturnPath('/'), '/');
  for (const bad of ['//evil.example/x', '/\\evil.example', 'http://evil.example/', 'javascript:alert(1)', '/a\r\nSet-Cookie: x', '/a\\b', '', undefined, '/' + 'a'.repeat(2000)]) {
    assert.is(safeReturnPath(bad), '/', String(bad));
  }
});

test('fillHtml escapes the template and the values, and marks the values', () => {
  assert.is(fillHtml('<b>{name}</b> & {x}', { name: '<i>n</i>', x: '"q"' }),
    '&lt;b&gt;<span class="v">&lt;i&gt;n&lt;/i&gt;</span>&lt;/b&gt; &amp; <span class="v">&quot;q&quot;</span>');
  assert.is(fillText('{a} and {b}', { a: '1' }), '1 and {b}');
});

test('times read on the router clock, durations in the page language', () => {
  assert.is(formatPageTime(1_800_000_000, () => 540), '2027-01-15 17:00 (UTC+09:00)');
  assert.is(formatPageTime(1_800_000_000, () => -150), '2027-01-15 05:30 (UTC-02:30)');
  assert.is(formatPageDuration(42, en), '42 s');
  assert.is(formatPageDuration(300, en), '5 min');
  assert.is(formatPageDuration(3 * 3600 + 120, ja), '3時間2分間');
  assert.is(formatPageDuration(2 * 86400 + 3600, en), '2 days 1 h');
  assert.is(formatPageDuration(-5, en), '0 s');
});

test('the built-in catalogs have the same keys and placeholders', () => {
  const ph = (s: string) => [...s.matchAll(/\{([a-z]+)\}/g)].map((m) => m[1]).sort().join();
  assert.equal(Object.keys(ja).sort(), Object.keys(en).sort());
  for (const key of Object.keys(en) as (keyof typeof en)[]) assert.is(ph(ja[key]), ph(en[key]), key);
});

test.run();
