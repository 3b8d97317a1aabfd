import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getCiphers } from 'node:crypto';
import type { SnmpUser } from '../../src/config/types';
import { desWarnings, toNetSnmpUser } from '../../src/capture/trap-in-users';

const base: SnmpUser = { name: 'alice', level: 'authPriv', authProtocol: 'sha', authKey: 'alicepass1', privProtocol: 'aes', privKey: 'aliceprivkey' };

// net-snmp's own numbers: SecurityLevel 1..3, AuthProtocols md5 2 sha 3 ... sha512 7, PrivProtocols des 2 aes 4 aes256b 6 aes256r 8.
test('users are handed to net-snmp with its level and protocol numbers', () => {
  assert.equal(toNetSnmpUser(base), { name: 'alice', level: 3, authProtocol: 3, authKey: 'alicepass1', privProtocol: 4, privKey: 'aliceprivkey' });
  assert.equal(toNetSnmpUser({ ...base, level: 'authNoPriv', authProtocol: 'md5' }), { name: 'alice', level: 2, authProtocol: 2, authKey: 'alicepass1' });
  assert.equal(toNetSnmpUser({ ...base, level: 'noAuthNoPriv' }), { name: 'alice', level: 1 });
  assert.is(toNetSnmpUser({ ...base, authProtocol: 'sha512', privProtocol: 'aes256r' }).privProtocol, 8);
  assert.is(toNetSnmpUser({ ...base, authProtocol: 'sha256', privProtocol: 'des' }).authProtocol, 5);
});

test('a user missing what its level needs is refused, naming user and option', () => {
  const refused = (user: SnmpUser, option: string): void => {
    assert.throws(() => toNetSnmpUser(user), (e: Error) => e.message.includes("snmp_user 'alice'") && e.message.includes(option), option);
  };
  refused({ ...base, authProtocol: null }, 'auth_protocol');
  refused({ ...base, authKey: null }, 'auth_key');
  refused({ ...base, authKey: 'short' }, 'auth_key');
  refused({ ...base, privProtocol: null }, 'priv_protocol');
  refused({ ...base, privKey: 'seven77' }, 'priv_key');
  refused({ ...base, level: 'authNoPriv', authKey: null }, 'auth_key');
});

test('DES users get a warning when this Node.js cannot do DES', () => {
  const warnings = desWarnings([base, { ...base, name: 'dora', privProtocol: 'des' }]);
  if (getCiphers().includes('des-cbc')) {
    assert.equal(warnings, []);
  } else {
    assert.is(warnings.length, 1);
    assert.match(warnings[0], /snmp_user 'dora'.*--openssl-legacy-provider/);
  }
});

test.run();
