// Addresses of both families as the edges see them: RFC 4291 text in, RFC 5952 text out,
// IPv4-mapped addresses are IPv4, prefixes of both families.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatIp, parseIp, parseIpPrefix, prefixHolds, prefixHoldsV4 } from '../../src/net/ip';
import { formatIPv6, parseIPv6 } from '../../src/net/ipv6';

test('IPv6 text: RFC 5952 canonical form', () => {
  const cases: [string, string][] = [
    ['::', '::'], ['::1', '::1'], ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'], ['2001:0db8::0001', '2001:db8::1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'], ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['fe80::1:2:3:4', 'fe80::1:2:3:4'], ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ];
  for (const [text, canonical] of cases) assert.is(formatIPv6(parseIPv6(text)!), canonical, text);
});

test('IPv6 text: what is not an address', () => {
  for (const bad of [':1::', '1:::2', '1::2::3', '12345::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1.2.3.4', '::ffff:1.2.3', '1:2:3:4:5:6:7:1.2.3.4', 'g::', '', ':', '::ffff:1.2.3.04']) {
    assert.is(parseIPv6(bad), null, bad);
  }
});

test('either family: IPv4-mapped is IPv4, text is canonical', () => {
  assert.equal([parseIp('192.0.2.1')!.family, parseIp('192.0.2.1')!.v4], [4, 0xc0000201]);
  const mapped = parseIp('::FFFF:192.0.2.1')!;
  assert.equal([mapped.family, mapped.text, mapped.v4], [4, '192.0.2.1', 0xc0000201]);
  const v6 = parseIp('2001:DB8::A')!;
  assert.equal([v6.family, v6.text, v6.v4], [6, '2001:db8::a', -1]);
  assert.is(formatIp(mapped.bytes), '192.0.2.1');
  assert.is(formatIp(v6.bytes), '2001:db8::a');
  assert.is(parseIp('192.0.2.256'), null);
});

test('prefixes of both families hold their own addresses only', () => {
  const v4 = parseIpPrefix('192.0.2.0/24')!;
  const v6 = parseIpPrefix('2001:db8:1::/48')!;
  assert.is(v4.text, '192.0.2.0/24');
  assert.ok(prefixHolds(v4, parseIp('192.0.2.77')!.bytes));
  assert.not.ok(prefixHolds(v4, parseIp('192.0.3.1')!.bytes));
  assert.not.ok(prefixHolds(v4, parseIp('2001:db8:1::1')!.bytes), 'an IPv4 prefix holds no IPv6 address');
  assert.ok(prefixHoldsV4(v4, 0xc0000263));
  assert.ok(prefixHolds(v6, parseIp('2001:db8:1:ffff::1')!.bytes));
  assert.not.ok(prefixHolds(v6, parseIp('2001:db8:2::1')!.bytes));
  assert.not.ok(prefixHoldsV4(v6, 0xc0000201));
  assert.ok(prefixHolds(parseIpPrefix('::/0')!, parseIp('2001:db8::1')!.bytes));
  assert.ok(prefixHolds(parseIpPrefix('2001:db8::/31')!, parseIp('2001:db9::1')!.bytes), 'a prefix that is not byte-aligned');
  assert.is(parseIpPrefix('2001:db8::1/64'), null, 'host bits must be zero');
  assert.is(parseIpPrefix('192.0.2.0/33'), null);
  assert.is(parseIpPrefix('2001:db8::/129'), null);
  assert.is(parseIpPrefix('2001:db8::')!.length, 128, 'a bare address is a host prefix');
});

test.run();
