// Why net-snmp refused a datagram. It reports most refusals as errors, but answers some SNMPv3
// ones (unknown user or security level too low on an inform, engine-ID discovery) with a Report
// and says nothing: those are told apart by a look at the message header.
import type { IgnoreReason } from './trap-in-filter';
import { PDU_GET_REQUEST, V3_FLAG_AUTH, V3_FLAG_PRIV, type MessageHeader } from './trap-in-wire';

/** net-snmp's ResponseInvalidCode values that mean the v3 keys did not match. */
const E_COULD_NOT_DECRYPT = 4;
const E_AUTH_FAILURE = 5;

/** Reads net-snmp's error classes by name (they are not exported as types). */
export function classifyRefusal(
  error: { readonly name: string; readonly code?: number | string },
  header: MessageHeader | null,
  users: ReadonlySet<string>,
): IgnoreReason {
  switch (error.name) {
    case 'RequestFailedError':
      // Community or user not authorized, or a v3 message below the user's security level.
      if (header === null) return 'malformed';
      if (header.v3 !== null) return users.has(header.v3.userName) ? 'authFailure' : 'unknownUser';
      return 'badCommunity';
    case 'ResponseInvalidError':
      return error.code === E_AUTH_FAILURE || error.code === E_COULD_NOT_DECRYPT ? 'authFailure' : 'malformed';
    default:
      // ProcessingError (undecodable), RequestInvalidError (a PDU other than trap/inform), or
      // anything newer versions of net-snmp may add.
      return 'malformed';
  }
}

/** A datagram net-snmp answered with a Report and did not pass on. */
export function classifySilentDrop(header: MessageHeader | null, users: ReadonlySet<string>): IgnoreReason | 'discovery' {
  const v3 = header?.v3;
  if (!v3) return 'malformed';
  // RFC 3414 4: an unauthenticated GetRequest asks for our engine ID before a v3 inform.
  if ((v3.flags & (V3_FLAG_AUTH | V3_FLAG_PRIV)) === 0 && v3.pduTag === PDU_GET_REQUEST) return 'discovery';
  return users.has(v3.userName) ? 'authFailure' : 'unknownUser';
}
