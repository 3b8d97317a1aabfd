import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseIp, sameIp, type IpAddress } from '../../src/net/ip';
import { decideTrap, readNotification, sourceAddress, type TrapNotification, type TrapSources } from '../../src/capture/trap-in-filter';
import type { NetSnmpPdu } from '../../src/capture/trap-in-netsnmp';
import { recoveryTrapSet } from '../../src/capture/trap-in-oids';

const ip = (text: string): IpAddress => parseIp(text) as IpAddress;
/** An address as its text, for comparing with assert.is. */
const text = (a: IpAddress | null): string | null => a?.text ?? null;

// PDUs as net-snmp's receiver hands them over (printed from it while Net-SNMP's snmptrap sent).
const v1ColdStart: NetSnmpPdu = {
  type: 164, enterprise: '1.3.6.1.4.1.8072.3.2.10', agentAddr: '198.51.100.7', generic: 0, specific: 0,
  varbinds: [], scoped: false, community: 'public',
};
function v2(type: 166 | 167, trapOid: string, extra: Partial<NetSnmpPdu> = {}): NetSnmpPdu {
  return {
    type,
    varbinds: [
      { oid: '1.3.6.1.2.1.1.3.0', type: 67, value: 38252 },
      { oid: '1.3.6.1.6.3.1.1.4.1.0', type: 6, value: trapOid },
    ],
    scoped: false, community: 'public', ...extra,
  };
}

function read(pdu: NetSnmpPdu, source = '198.51.100.10'): TrapNotification {
  const n = readNotification(pdu, source);
  if (typeof n === 'string') throw new Error(`expected a notification, got: ${n}`);
  return n;
}

test('an SNMPv1 coldStart is read in v2 form with its agent-addr', () => {
  const n = read(v1ColdStart);
  assert.is(n.version, 'v1');
  assert.is(n.kind, 'trap');
  assert.is(n.trapOid, '1.3.6.1.6.3.1.1.5.1');
  assert.is(text(n.source), '198.51.100.10');
  assert.is(text(n.agentAddr), '198.51.100.7');
});

test('an SNMPv1 agent-addr of 0.0.0.0 names nobody', () => {
  assert.is(read({ ...v1ColdStart, agentAddr: '0.0.0.0' }).agentAddr, null);
});

test('an SNMPv1 enterprise-specific trap is read as ENTERPRISE.0.SPECIFIC', () => {
  const n = read({ ...v1ColdStart, enterprise: '1.3.6.1.4.1.8072.4', generic: 6, specific: 3 });
  assert.is(n.trapOid, '1.3.6.1.4.1.8072.4.0.3');
});

test('v2c traps, informs and v3 notifications are told apart', () => {
  const trap = read(v2(167, '1.3.6.1.6.3.1.1.5.4'));
  assert.equal([trap.version, trap.kind, trap.trapOid, trap.agentAddr], ['v2c', 'trap', '1.3.6.1.6.3.1.1.5.4', null]);
  const inform = read(v2(166, '1.3.6.1.6.3.1.1.5.1'));
  assert.equal([inform.version, inform.kind], ['v2c', 'inform']);
  const v3 = read(v2(167, '1.3.6.1.6.3.1.1.5.2', { scoped: true, community: undefined, user: 'alice' }));
  assert.equal([v3.version, v3.kind, v3.principal], ['v3', 'trap', "user 'alice'"]);
});

test('snmpTrapOID.0 is found even when a sender does not put it second', () => {
  const pdu = v2(167, '1.3.6.1.6.3.1.1.5.2');
  const n = read({ ...pdu, varbinds: [...(pdu.varbinds ?? [])].reverse() });
  assert.is(n.trapOid, '1.3.6.1.6.3.1.1.5.2');
});

test('notifications without a usable trap OID are refused with a reason', () => {
  const cases: NetSnmpPdu[] = [
    { ...v2(167, ''), varbinds: [{ oid: '1.3.6.1.2.1.1.3.0', type: 67, value: 1 }] },
    { ...v2(167, ''), varbinds: [{ oid: '1.3.6.1.6.3.1.1.4.1.0', type: 4, value: '1.3.6.1.6.3.1.1.5.1' }] },
    v2(167, 'garbage'),
    { ...v1ColdStart, generic: 9 },
    { type: 160, varbinds: [] },
  ];
  for (const pdu of cases) assert.type(readNotification(pdu, '198.51.100.10'), 'string', JSON.stringify(pdu));
});

test('the UDP source is read as IPv4, IPv4-mapped IPv6 included; other IPv6 is not', () => {
  assert.is(text(sourceAddress('198.51.100.10')), '198.51.100.10');
  assert.is(sourceAddress('::ffff:198.51.100.10')?.family, 4);
  assert.is(text(sourceAddress('::ffff:198.51.100.10')), '198.51.100.10');
  assert.is(text(sourceAddress('2001:db8::1')), '2001:db8::1');
  assert.is(sourceAddress('fe80::1%eth0'), null);
});

const recovery = recoveryTrapSet(['1.3.6.1.4.1.8072.4.0.3']);
const server1 = ip('198.51.100.10');
const agentOf2 = ip('198.51.100.7');
const server2 = ip('198.51.100.20');
const nms = ip('192.0.2.5');
const server6 = ip('2001:db8:5::10');
const nms6 = ip('2001:db8:c::5');
// The daemon's rule, written out: a server's own address, else its configured agent address;
// 192.0.2.5 is a management station that forwards traps.
const sources: TrapSources = {
  serverAt: (address) => (sameIp(address, server1) ? server1 : sameIp(address, agentOf2) ? server2 : sameIp(address, server6) ? server6 : null),
  isRelay: (address) => sameIp(address, nms) || sameIp(address, nms6),
};
const decide = (n: TrapNotification) => decideTrap(n, recovery, sources);
/** 1, 2 or 6 for the server accepted (server1, server2, server6), else the reason. */
const outcome = (d: ReturnType<typeof decide>) =>
  (d.accept ? (sameIp(d.server, server1) ? 1 : sameIp(d.server, server2) ? 2 : sameIp(d.server, server6) ? 6 : d.server.text) : d.reason);

test('a recovery trap from a server\'s address is accepted for that server', () => {
  const decision = decide(read(v2(167, '1.3.6.1.6.3.1.1.5.1')));
  assert.equal(outcome(decision), 1);
  assert.match(decision.detail, /coldStart trap \(SNMPv2c, community 'public'\) from 198\.51\.100\.10/);
});

test('coldStart, warmStart, linkUp and a configured trap count; linkDown does not', () => {
  const accepted = (oid: string): boolean => decide(read(v2(167, oid))).accept;
  assert.ok(accepted('1.3.6.1.6.3.1.1.5.1'));
  assert.ok(accepted('1.3.6.1.6.3.1.1.5.2'));
  assert.ok(accepted('1.3.6.1.6.3.1.1.5.4'));
  assert.ok(accepted('1.3.6.1.4.1.8072.4.0.3'));
  const linkDown = decide(read(v2(167, '1.3.6.1.6.3.1.1.5.3')));
  assert.equal(outcome(linkDown), 'notRecoveryTrap');
  assert.match(linkDown.detail, /^linkDown trap/);
});

test('a v1 enterprise trap counts when its ENTERPRISE.0.SPECIFIC form is configured', () => {
  const pdu = { ...v1ColdStart, enterprise: '1.3.6.1.4.1.8072.4', generic: 6, specific: 3 };
  assert.ok(decide(read(pdu)).accept);
  assert.not.ok(decide(read({ ...pdu, specific: 2 })).accept);
});

test('a trap from a server\'s agent address counts for that server', () => {
  assert.is(outcome(decide(read(v2(167, '1.3.6.1.6.3.1.1.5.1'), '198.51.100.7'))), 2);
});

test('the SNMPv1 agent-addr never names the server when the source is a client', () => {
  const decision = decide(read({ ...v1ColdStart, agentAddr: '198.51.100.10' }, '192.0.2.11'));
  assert.is(outcome(decision), 'unknownSource');
  assert.match(decision.detail, /from 192\.0\.2\.11, agent-addr 198\.51\.100\.10/);
  assert.match(!decision.accept ? decision.why : '', /counts only from a config snmp nms_address/);
});

test('the agent-addr does not override the source either when the source is another server', () => {
  assert.is(outcome(decide(read({ ...v1ColdStart, agentAddr: '198.51.100.7' }, '198.51.100.10'))), 1);
});

test('from a management station, the v1 agent-addr or the v2c snmpTrapAddress.0 names the server', () => {
  assert.is(outcome(decide(read(v1ColdStart, '192.0.2.5'))), 2);
  const forwarded = v2(167, '1.3.6.1.6.3.1.1.5.1');
  const noted = { ...forwarded, varbinds: [...(forwarded.varbinds ?? []), { oid: '1.3.6.1.6.3.18.1.3.0', type: 64, value: '198.51.100.10' }] };
  const n = read(noted, '192.0.2.5');
  assert.is(text(n.trapAddress), server1.text);
  assert.is(outcome(decide(n)), 1);
  assert.match(decide(n).detail, /from 192\.0\.2\.5, snmpTrapAddress 198\.51\.100\.10/);
  // The same varbind from a client names nobody.
  assert.is(outcome(decide(read(noted, '192.0.2.11'))), 'unknownSource');
  // A station's own trap, naming no server, counts for none.
  assert.is(outcome(decide(read(forwarded, '192.0.2.5'))), 'unknownSource');
});

test('a recovery trap from an unknown source is ignored as unknownSource', () => {
  assert.is(outcome(decide(read(v2(167, '1.3.6.1.6.3.1.1.5.1'), '203.0.113.5'))), 'unknownSource');
  assert.is(outcome(decide(read(v2(167, '1.3.6.1.6.3.1.1.5.1'), '2001:db8::1'))), 'unknownSource');
});

test('over IPv6: a trap from an IPv6 server\'s own address counts; from a client it does not, whatever it names', () => {
  assert.is(outcome(decide(read(v2(167, '1.3.6.1.6.3.1.1.5.1'), '2001:db8:5::10'))), 6);
  assert.is(outcome(decide(read(v2(167, '1.3.6.1.6.3.1.1.5.1'), '::ffff:198.51.100.10'))), 1);
  const v1 = read({ ...v1ColdStart, agentAddr: '198.51.100.10' }, '2001:db8:c::77');
  assert.is(outcome(decide(v1)), 'unknownSource');
  // an IPv6 management station may name an (IPv4) server in agent-addr
  assert.is(outcome(decide(read({ ...v1ColdStart, agentAddr: '198.51.100.10' }, '2001:db8:c::5'))), 1);
});

test('the sources are asked only about recovery traps', () => {
  const asked: string[] = [];
  const spy: TrapSources = { serverAt: (address) => { asked.push(address.text); return address; }, isRelay: () => false };
  decideTrap(read(v2(167, '1.3.6.1.6.3.1.1.5.3')), recovery, spy);
  assert.equal(asked, []);
  decideTrap(read(v2(167, '1.3.6.1.6.3.1.1.5.4')), recovery, spy);
  assert.equal(asked, [server1.text]);
});

test.run();
