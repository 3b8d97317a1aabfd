// What the operator's policy hooks receive and return. Plain JSON both ways: the daemon's
// objects are serialised into the sandbox and the hooks' results are parsed back and checked,
// so no host object is ever reachable from the operator's code.

export type HookName = 'contactFor' | 'shouldNotify' | 'render';
export const HOOK_NAMES: readonly HookName[] = ['contactFor', 'shouldNotify', 'render'];

/** A client (a device) that tried to reach a down server. */
export interface PolicyClient {
  /** IPv4 dotted quad or IPv6 (RFC 5952); of a device that tried from several, the first. */
  readonly address: string;
  /** Every address the device tried from, `address` first; only when more than one. */
  readonly addresses?: readonly string[];
  /** "aa:bb:cc:dd:ee:ff" when seen. */
  readonly mac?: string;
  /** The DHCP host name, passed in by the daemon (the sandbox cannot read files). */
  readonly hostname?: string;
  /** The mail address known from the configuration or the stand-in page (73/74), if any. */
  readonly contact?: string;
}

/** One outage of one server, as the daemon describes it to the policy. */
export interface PolicyOutage {
  /** The server's address, IPv4 dotted quad or IPv6 (RFC 5952). */
  readonly server: string;
  /** The configured host name, or the address when none is configured. */
  readonly name: string;
  /** Unix seconds: when the outage began. */
  readonly since: number;
  /** Unix seconds: when the server came back; absent while it is still down. */
  readonly until?: number;
  /** How the outage was detected (engine Cause), e.g. "syn-timeout". */
  readonly cause?: string;
  /** Unix seconds: when the decision is taken. */
  readonly now: number;
}

/** What the hooks see of an outage: the daemon's fields plus two derived for convenience. */
export interface GuestOutage extends PolicyOutage {
  /** (until ?? now) - since, in seconds. */
  readonly durationSeconds: number;
  /** `now` on the router's clock (the process's time zone). */
  readonly local: LocalTime;
}

export interface LocalTime {
  readonly hour: number;     // 0-23
  readonly minute: number;   // 0-59
  readonly weekday: number;  // 0 = Sunday, as Date.getDay()
}

/** The texts a hook may replace. */
export interface RenderResult {
  readonly subject?: string;
  readonly body?: string;
  /** Plain text shown on the stand-in page (the page escapes it; HTML is not interpreted). */
  readonly pageText?: string;
}

export interface PolicyNotice {
  /** recovery: a mail is about to be queued; standin: the page for a down server is served. */
  readonly kind: 'recovery' | 'standin';
  readonly outage: PolicyOutage;
  readonly client: PolicyClient;
  /** recovery: where the mail goes. */
  readonly to?: string;
  /** backsoon's own texts, which apply where the hook returns nothing. */
  readonly defaults: RenderResult;
}

export interface GuestNotice extends Omit<PolicyNotice, 'outage'> {
  readonly outage: GuestOutage;
}

export interface PolicyOptions {
  /** Longest run of one hook call, in milliseconds (default 50). */
  readonly timeoutMs?: number;
  /** Longest run of the file's top-level code at load and at each rebuild (default 1000). */
  readonly loadTimeoutMs?: number;
  /** QuickJS heap limit in bytes (default 8 MiB); the wasm memory itself stops at 64 MiB. */
  readonly memoryLimitBytes?: number;
  /** Where failures are reported; defaults to stderr. Compatible with daemon/log.ts Logger. */
  readonly log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string) => void;
}

export type FailureKind =
  | 'threw'        // the hook threw
  | 'timeout'      // stopped at the deadline
  | 'stack'        // recursed past the stack limit
  | 'memory'       // ran out of memory: the sandbox is rebuilt
  | 'crashed'      // the engine itself failed (host-side error): the sandbox is rebuilt
  | 'invalid'      // returned something the checks refuse
  | 'unavailable'; // no usable sandbox at the time of the call (a rebuild is under way)

/** Where in the operator's file something happened, from the guest's error stack. */
export interface GuestLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The function the frame belongs to, when it has a name. */
  readonly functionName?: string;
}

export interface HookFailure {
  readonly hook: HookName;
  readonly kind: FailureKind;
  /** One line, e.g. "TypeError: cannot read property 'x' of null". */
  readonly message: string;
  readonly location?: GuestLocation;
}

export interface HookStats {
  calls: number;
  errors: number;
}

export interface PolicyStats {
  /** Hook calls made (hooks the file does not define are not counted). */
  readonly calls: number;
  /** Calls whose result was not used: every failure kind, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
  readonly outOfMemory: number;
  readonly stackOverflows: number;
  readonly invalidResults: number;
  /** Sandboxes built after the first one (memory, crash, left-over promise jobs). */
  readonly rebuilds: number;
  /** Calls answered with the default because no sandbox was usable. */
  readonly unavailable: number;
  readonly perHook: Readonly<Record<HookName, Readonly<HookStats>>>;
}
