// A look at the outer fields of an SNMP message (version; for v3 the flags, user name and PDU
// tag) without decoding the rest. net-snmp decodes for real; this only tells why it refused a
// datagram it answered with a Report and never passed on. Never throws: garbage gives null.

export interface V3Header {
  /** msgFlags: bit 0 auth, bit 1 priv, bit 2 reportable. */
  readonly flags: number;
  readonly userName: string;
  /** The PDU's tag (0xa0 GetRequest, 0xa6 InformRequest, 0xa7 TrapV2); null when encrypted. */
  readonly pduTag: number | null;
}

export interface MessageHeader {
  /** As on the wire: 0 SNMPv1, 1 SNMPv2c, 3 SNMPv3. */
  readonly version: number;
  readonly v3: V3Header | null;
}

export const V3_FLAG_AUTH = 1;
export const V3_FLAG_PRIV = 2;
export const PDU_GET_REQUEST = 0xa0;

const TAG_INTEGER = 0x02;
const TAG_OCTET_STRING = 0x04;
const TAG_SEQUENCE = 0x30;

interface Tlv {
  readonly tag: number;
  /** Offset of the first value byte. */
  readonly start: number;
  /** Offset just past the value. */
  readonly end: number;
}

/** One BER tag-length-value at `off`, within `limit`; null when it does not fit. */
export function readTlv(bytes: Uint8Array, off: number, limit: number): Tlv | null {
  if (off + 2 > limit) return null;
  const tag = bytes[off];
  let len = bytes[off + 1];
  let start = off + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) return null;
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + bytes[start + i];
    start += count;
  }
  const end = start + len;
  return end > limit ? null : { tag, start, end };
}

function readSmallInteger(bytes: Uint8Array, tlv: Tlv): number | null {
  const len = tlv.end - tlv.start;
  if (tlv.tag !== TAG_INTEGER || len < 1 || len > 4) return null;
  let value = bytes[tlv.start] & 0x80 ? -1 : 0;
  for (let i = tlv.start; i < tlv.end; i++) value = value * 256 + bytes[i];
  return value;
}

/** Reads `count` TLVs in a row from `off`; null when any is missing. */
function readSiblings(bytes: Uint8Array, off: number, limit: number, count: number): Tlv[] | null {
  const out: Tlv[] = [];
  for (let i = 0; i < count; i++) {
    const tlv = readTlv(bytes, off, limit);
    if (tlv === null) return null;
    out.push(tlv);
    off = tlv.end;
  }
  return out;
}

export function peekMessageHeader(bytes: Uint8Array): MessageHeader | null {
  const message = readTlv(bytes, 0, bytes.length);
  if (message === null || message.tag !== TAG_SEQUENCE) return null;
  const versionTlv = readTlv(bytes, message.start, message.end);
  if (versionTlv === null) return null;
  const version = readSmallInteger(bytes, versionTlv);
  if (version === null) return null;
  if (version !== 3) return { version, v3: null };

  // HeaderData, msgSecurityParameters, then the scoped PDU (plain or encrypted).
  const parts = readSiblings(bytes, versionTlv.end, message.end, 3);
  if (parts === null) return null;
  const [headerData, securityParameters, scoped] = parts;
  if (headerData.tag !== TAG_SEQUENCE || securityParameters.tag !== TAG_OCTET_STRING) return null;
  const header = readSiblings(bytes, headerData.start, headerData.end, 3);
  if (header === null || header[2].tag !== TAG_OCTET_STRING || header[2].end - header[2].start !== 1) return null;
  const flags = bytes[header[2].start];

  const usm = readTlv(bytes, securityParameters.start, securityParameters.end);
  if (usm === null || usm.tag !== TAG_SEQUENCE) return null;
  // msgAuthoritativeEngineID, -Boots, -Time, msgUserName
  const usmFields = readSiblings(bytes, usm.start, usm.end, 4);
  if (usmFields === null || usmFields[3].tag !== TAG_OCTET_STRING) return null;
  const userName = new TextDecoder().decode(bytes.subarray(usmFields[3].start, usmFields[3].end));

  let pduTag: number | null = null;
  if (scoped.tag === TAG_SEQUENCE) {
    // contextEngineID, contextName, PDU
    const scopedFields = readSiblings(bytes, scoped.start, scoped.end, 3);
    if (scopedFields !== null) pduTag = scopedFields[2].tag;
  }
  return { version, v3: { flags, userName, pduTag } };
}
