import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  COLD_START, LINK_DOWN, LINK_UP, WARM_START, normalizeOid, recoveryTrapSet, trapName, v1TrapOid,
} from '../../src/capture/trap-in-oids';

test('SNMPv1 generic traps map to snmpTraps.(generic + 1) (RFC 3584 3.1)', () => {
  // The enterprise field does not matter for generic traps.
  assert.is(v1TrapOid('1.3.6.1.4.1.8072.3.2.10', 0, 0), '1.3.6.1.6.3.1.1.5.1');
  assert.is(v1TrapOid('1.3.6.1.4.1.8072.3.2.10', 1, 0), '1.3.6.1.6.3.1.1.5.2');
  assert.is(v1TrapOid('1.3.6.1.4.1.8072.3.2.10', 2, 0), '1.3.6.1.6.3.1.1.5.3');
  assert.is(v1TrapOid('1.3.6.1.4.1.8072.3.2.10', 3, 0), '1.3.6.1.6.3.1.1.5.4');
  assert.is(v1TrapOid('1.3.6.1.4.1.8072.3.2.10', 4, 0), '1.3.6.1.6.3.1.1.5.5');
  assert.is(v1TrapOid('1.3.6.1.4.1.8072.3.2.10', 5, 0), '1.3.6.1.6.3.1.1.5.6');
  assert.is(v1TrapOid('', 0, 99), COLD_START);
});

test('SNMPv1 enterprise-specific traps map to ENTERPRISE.0.SPECIFIC', () => {
  assert.is(v1TrapOid('1.3.6.1.4.1.8072.4', 6, 3), '1.3.6.1.4.1.8072.4.0.3');
  assert.is(v1TrapOid('.1.3.6.1.4.1.99999', 6, 0), '1.3.6.1.4.1.99999.0.0');
});

test('SNMPv1 fields that name no trap give null', () => {
  assert.is(v1TrapOid('1.3.6.1.4.1.8072.4', 7, 0), null);
  assert.is(v1TrapOid('1.3.6.1.4.1.8072.4', -1, 0), null);
  assert.is(v1TrapOid('', 6, 1), null);
  assert.is(v1TrapOid('1.3.6.1.4.1.8072.4', 6, -2), null);
  assert.is(v1TrapOid('not.an.oid', 6, 1), null);
});

test('normalizeOid drops a leading dot and refuses what is not a numeric OID', () => {
  assert.is(normalizeOid('.1.3.6.1.6.3.1.1.5.1'), '1.3.6.1.6.3.1.1.5.1');
  assert.is(normalizeOid('1.3.6.1.6.3.1.1.5.1'), '1.3.6.1.6.3.1.1.5.1');
  assert.is(normalizeOid('1.3.6.1.4.1.4294967295'), '1.3.6.1.4.1.4294967295');
  for (const bad of ['', '.', '1', '1..3', '1.3.', 'SNMPv2-MIB::coldStart', '1.3.06', '1.3.4294967296', '1.3.-1', ' 1.3.6']) {
    assert.is(normalizeOid(bad), null, bad);
  }
});

test('the recovery set holds coldStart, warmStart, linkUp and the configured traps only', () => {
  const set = recoveryTrapSet(['.1.3.6.1.4.1.8072.4.0.3', ' 1.3.6.1.4.1.99999.0.1 ']);
  assert.ok(set.has(COLD_START));
  assert.ok(set.has(WARM_START));
  assert.ok(set.has(LINK_UP));
  assert.not.ok(set.has(LINK_DOWN));
  assert.ok(set.has('1.3.6.1.4.1.8072.4.0.3'));
  assert.ok(set.has('1.3.6.1.4.1.99999.0.1'));
  assert.is(set.size, 5);
  assert.is(recoveryTrapSet([]).size, 3);
});

test('a configured recovery trap that is not numeric is refused by name', () => {
  assert.throws(() => recoveryTrapSet(['NET-SNMP-AGENT-MIB::nsNotifyRestart']),
    (e: Error) => e.message.includes("'NET-SNMP-AGENT-MIB::nsNotifyRestart'") && e.message.includes('config snmp'));
});

test('trap names for logs', () => {
  assert.is(trapName(COLD_START), 'coldStart');
  assert.is(trapName(LINK_UP), 'linkUp');
  assert.is(trapName('1.3.6.1.4.1.8072.4.0.3'), 'nsNotifyRestart');
  assert.is(trapName('1.3.6.1.4.1.99999.0.1'), '1.3.6.1.4.1.99999.0.1');
});

test.run();
