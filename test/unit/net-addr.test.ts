import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatIPv4, parseIPv4, parsePrefix, prefixContains } from '../../src/net/ipv4';
import { formatMac, parseMac } from '../../src/net/mac';

test('IPv4 round trip and refusals', () => {
  for (const s of ['0.0.0.0', '192.0.2.10', '255.255.255.255']) assert.is(formatIPv4(parseIPv4(s)!), s);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', ' 1.2.3.4']) assert.is(parseIPv4(bad), null, bad);
});

test('MAC round trip', () => {
  for (const s of ['00:00:00:00:00:01', '02:00:c0:00:02:0a', 'ff:ff:ff:ff:ff:ff', '80:00:00:00:00:00']) assert.is(formatMac(parseMac(s)!), s);
  assert.is(parseMac('02:00:c0:00:02'), null);
});

test('prefixes: host bits must be zero; containment', () => {
  const p = parsePrefix('198.51.100.0/24')!;
  assert.ok(prefixContains(p, parseIPv4('198.51.100.77')!));
  assert.not.ok(prefixContains(p, parseIPv4('198.51.101.1')!));
  assert.is(parsePrefix('198.51.100.1/24'), null);
  assert.ok(prefixContains(parsePrefix('0.0.0.0/0')!, parseIPv4('203.0.113.1')!));
  assert.is(parsePrefix('10.0.0.0/33'), null);
});

test.run();
