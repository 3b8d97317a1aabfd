// Times as a reader of a notice sees them: ISO 8601 with the router's own UTC offset, RFC 5322
// dates for the Date header, and durations in words ("12 min 3 s"). Times are Unix seconds.

/** Minutes east of UTC in force at Unix time `t` (seconds). DST moves it, so it is a function. */
export type UtcOffset = (t: number) => number;

/** The offset of the process's local time zone (TZ), the one the router's clock shows. */
export const systemUtcOffset: UtcOffset = (t) => -new Date(t * 1000).getTimezoneOffset();

export const fixedUtcOffset = (minutes: number): UtcOffset => () => minutes;

const two = (n: number): string => String(n).padStart(2, '0');

/** Shifts `t` by the offset and reads the shifted instant's UTC fields, so no host TZ leaks in. */
function localFields(t: number, offset: number): Date {
  return new Date((Math.floor(t) + offset * 60) * 1000);
}

function offsetText(offset: number, separator: string): string {
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${sign}${two(Math.floor(abs / 60))}${separator}${two(abs % 60)}`;
}

/** "2026-11-25T22:43:13+09:00" (whole seconds). */
export function formatIsoLocal(t: number, utcOffset: UtcOffset): string {
  const offset = utcOffset(t);
  const d = localFields(t, offset);
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}` +
    `T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}${offsetText(offset, ':')}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 date-time: "Wed, 25 Nov 2026 22:43:13 +0900". */
export function formatMailDate(t: number, utcOffset: UtcOffset): string {
  const offset = utcOffset(t);
  const d = localFields(t, offset);
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${offsetText(offset, '')}`;
}

/** A duration in its two largest units, whole seconds; negative (clock stepped back) as 0 s. */
export type DurationParts =
  | { readonly unit: 's'; readonly s: number }
  | { readonly unit: 'min'; readonly m: number; readonly s: number }
  | { readonly unit: 'h'; readonly h: number; readonly m: number }
  | { readonly unit: 'd'; readonly d: number; readonly h: number };

export function durationParts(seconds: number): DurationParts {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return { unit: 's', s };
  if (s < 3600) return { unit: 'min', m: Math.floor(s / 60), s: s % 60 };
  if (s < 86400) return { unit: 'h', h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) };
  return { unit: 'd', d: Math.floor(s / 86400), h: Math.floor((s % 86400) / 3600) };
}

/** "45 s", "12 min 3 s", "3 h 12 min", "2 d 3 h". */
export function formatDuration(seconds: number): string {
  const p = durationParts(seconds);
  switch (p.unit) {
    case 's': return `${p.s} s`;
    case 'min': return `${p.m} min ${p.s} s`;
    case 'h': return `${p.h} h ${p.m} min`;
    case 'd': return `${p.d} d ${p.h} h`;
  }
}
