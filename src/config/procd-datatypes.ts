// The validate_data datatype of each option (OpenWrt's libvalidate, in ubox), written so it
// accepts exactly the values backsoon's own parser accepts. The init script hands these to
// procd (procd_add_validation) and checks config backsoon 'main' with them before node starts
// (uci_load_validate); test/unit/board-validation-openwrt.test.ts holds the script's copy to
// this table and runs both checkers over awkward values of every option.
//
// Why not the obvious types: range() reads with strtol (so ' 30', '+30', '0x1E', '030' as 24,
// and 4294967326 wrapping to 30 all pass), bool accepts any case but hands the script '' for
// 'YES', a number type hands the script its value unquoted (a blank in it runs a command), and
// procd's JSON loses the double quotes of or("a","b"). Hence: decimal digits by regex, lowercase
// words by or('...'), and a string-typed check last so every value reaches the script quoted.
// The datatype syntax has no quoting for ',' or ':' and the JSON path none for '"', '\', '$'
// or '`': no type here contains them.
import type { OptionSpec } from './schema';
import { FALSE_WORDS, ICMP6_CODES, ICMP_CODES, TRUE_WORDS } from './values';

const literal = (word: string) => {
  if (!/^[A-Za-z0-9_.-]+$/.test(word)) throw new Error(`validate_data literal '${word}' would need quoting it does not have`);
  return `'${word}'`;
};
const oneOf = (words: readonly string[]) => `or(${words.map(literal).join(',')})`;

/** Plain decimal digits, as values.ts parseWhole reads them. */
const DECIMAL = '(0|[1-9][0-9]*)';
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IPV4 = `(${OCTET}[.]){3}${OCTET}`;
/** Exactly ':' among printable ASCII: everything else is outside [^!-9;-~] or excluded by [!-~]. */
const COLON = '[^!-9;-~]';

/** An ERE for the decimal numbers from min to max, without leading zeros. */
export function decimalRange(min: number, max: number): string {
  const parts: string[] = [];
  for (let digits = String(min).length; digits <= String(max).length; digits++) {
    const low = Math.max(min, digits === 1 ? 0 : 10 ** (digits - 1));
    const high = Math.min(max, 10 ** digits - 1);
    if (low <= high) parts.push(...sameLength(String(low), String(high)));
  }
  return `(${parts.join('|')})`;
}

/** ERE alternatives for the numbers from low to high, both written with the same number of digits. */
function sameLength(low: string, high: string): string[] {
  if (low.length === 1) return [low === high ? low : `[${low}-${high}]`];
  if (low === high) return [low];
  const rest = low.length - 1;
  const anyRest = '[0-9]'.repeat(rest);
  const [lo, hi] = [Number(low[0]), Number(high[0])];
  if (lo === hi) return sameLength(low.slice(1), high.slice(1)).map((p) => `${low[0]}${p}`);
  const out: string[] = [];
  const lowFull = /^0*$/.test(low.slice(1));
  const highFull = /^9*$/.test(high.slice(1));
  const from = lowFull ? lo : lo + 1;
  const to = highFull ? hi : hi - 1;
  if (!lowFull) out.push(...sameLength(low.slice(1), '9'.repeat(rest)).map((p) => `${low[0]}${p}`));
  if (from <= to) out.push(`${from === to ? from : `[${from}-${to}]`}${anyRest}`);
  if (!highFull) out.push(...sameLength('0'.repeat(rest), high.slice(1)).map((p) => `${high[0]}${p}`));
  return out;
}

function wholeNumber(min: number, max: number): string {
  // maxlength keeps strtol from wrapping: every value below 10^9 fits range()'s int
  if (max >= 1e9) throw new Error(`validate_data's range() cannot check numbers up to ${max} exactly`);
  return `and(maxlength(${String(max).length}),range(${min},${max}),regex('${DECIMAL}'))`;
}

/** The validate_data type of one value (one list item) of the option. */
function valueType(spec: OptionSpec): string {
  switch (spec.kind) {
    case 'bool': return oneOf([...TRUE_WORDS, ...FALSE_WORDS]);
    case 'uint':
    case 'duration': return wholeNumber(spec.min ?? 0, spec.max ?? 0xffffffff);
    case 'port': return wholeNumber(1, 65535);
    case 'enum': return oneOf(spec.values ?? []);
    case 'icmp_code': return oneOf(ICMP_CODES.filter((c) => c.use !== 'live').map((c) => String(c.code)));
    case 'icmp6_code': return oneOf(ICMP6_CODES.filter((c) => c.use !== 'live').map((c) => String(c.code)));
    case 'iface': return "and(rangelength(1,15),not(or('.','..')),regex('[A-Za-z0-9._-]*'))";
    case 'ipv4': return `regex('${IPV4}')`;
    case 'ip': return `or(regex('${IPV4}'),ip6addr)`;
    case 'listen': return `and(regex('[!-~]*'),regex('${IPV4}${COLON}${decimalRange(1, 65535)}'))`;
    case 'path': return `and(${spec.exists === 'file' ? 'file,' : ''}maxlength(4095),regex('/[ -~]*'))`;
    default:
      throw new Error(`option ${spec.name}: no validate_data type accepts exactly what kind '${spec.kind}' accepts; ` +
        'write one in src/config/procd-datatypes.ts (and its awkward values in the parity test)');
  }
}

/** The option's datatype as procd and validate_data take it. */
export function validateDataType(spec: OptionSpec): string {
  const type = valueType(spec);
  const quoted = type.match(/'[^']*'/g) ?? [];
  if (/["\\$`:]/.test(type) || quoted.some((q) => q.includes(','))) {
    throw new Error(`option ${spec.name}: datatype ${type} holds a character the init script or procd's JSON would change`);
  }
  return spec.list ? `list(${type})` : type;
}

/** The `NAME:TYPE[:DEFAULT]` argument of uci_load_validate for the option, as the init script writes it. */
export function validateDataSpec(spec: OptionSpec): string {
  const single = typeof spec.default === 'string' ? `:${spec.default}` : '';
  return `${spec.name}:${validateDataType(spec)}${single}`;
}
