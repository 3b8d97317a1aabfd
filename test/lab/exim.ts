// A real MTA for the lab: Debian's exim4 (exim4-daemon-light) in the foreground with a
// configuration of its own in a temp dir, accepting any local part of one test domain into a
// catch-all Maildir that the tests read. Reused by every test that needs to see mail arrive.
//
// Exim drops root for a -C configuration and runs as Debian-exim, so the temp dir (spool, log,
// Maildir) belongs to Debian-exim; the configuration file itself stays root's. No exim process
// and no temp dir outlive the test process (exit and signal handlers), and nothing here touches
// a system exim that may be running on port 25.
import { atExit } from '../at-exit';
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

export type RecipientPolicy = 'accept' | 'defer' | 'fail';

export interface EximOptions {
  /** Any local part of this domain is accepted (default 'example.test'); other domains get 550. */
  readonly domain?: string;
  /** Recipients answered at RCPT TO with 451 4.3.0 (defer) or 550 5.1.1 (fail); see setRecipient(). */
  readonly defer?: readonly string[];
  readonly fail?: readonly string[];
  /** Run inside this network namespace (created by the caller); listen on `address` there. */
  readonly netns?: string;
  /** Listening address (default 127.0.0.1) and port (default: a free high port). */
  readonly address?: string;
  readonly port?: number;
  /**
   * Only queue what arrives, and let queue runners (one a second, up to five at once)
   * deliver it. For thousands of messages: exim then does not start one delivery process per
   * message while they arrive, which on a small machine slows the SMTP side down.
   */
  readonly queueOnly?: boolean;
  /**
   * With queueOnly: no queue runners at all, so nothing is delivered (and no CPU is spent on
   * it); what was accepted stays in the spool (spooledCount). For benchmarks of what the MTA accepts.
   */
  readonly holdQueue?: boolean;
}

export interface MaildirMessage {
  readonly file: string;
  /** The envelope recipient (exim's Envelope-to). */
  readonly recipient: string;
  /** Lower-case name -> first value, unfolded, as it stands in the file (not decoded). */
  readonly headers: Readonly<Record<string, string>>;
  /** Every header field in order, unfolded. */
  readonly headerList: readonly (readonly [string, string])[];
  /** Subject with RFC 2047 encoded words decoded. */
  readonly subject: string;
  /** Body decoded from its Content-Transfer-Encoding, LF line ends. */
  readonly body: string;
  readonly raw: string;
}

const EXIM = '/usr/sbin/exim4';
const USER = 'Debian-exim';
const live = new Set<Exim>();

export class Exim {
  readonly dir: string;
  readonly domain: string;
  readonly address: string;
  readonly netns: string | null;
  private child: ChildProcess | null = null;
  private stderr = '';
  private readonly conf: string;
  private readonly maildir: string;
  private readonly queueInterval: string | null;

  private constructor(readonly port: number, options: EximOptions) {
    this.domain = options.domain ?? 'example.test';
    this.address = options.address ?? '127.0.0.1';
    this.netns = options.netns ?? null;
    this.queueInterval = options.queueOnly === true ? (options.holdQueue === true ? null : '-q1s') : '-q5s';
    this.dir = mkdtempSync(join(tmpdir(), 'bs-exim-'));
    this.conf = join(this.dir, 'exim.conf');
    this.maildir = join(this.dir, 'Maildir');
    live.add(this);
  }

  /** Writes a configuration and starts the daemon; resolves once it listens. */
  static async start(options: EximOptions = {}): Promise<Exim> {
    if (process.getuid?.() !== 0) throw new Error('test/lab/exim.ts: needs root (exim gives the spool to Debian-exim)');
    if (!existsSync(EXIM)) {
      throw new Error(`test/lab/exim.ts: ${EXIM} is missing; install Debian's exim4-daemon-light (make deps)`);
    }
    const exim = new Exim(options.port ?? (await freePort()), options);
    try {
      exim.writeConfig(options);
      await exim.start();
    } catch (err) {
      await exim.dispose();
      throw err;
    }
    return exim;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts the daemon (again, on the same spool and Maildir). */
  async start(): Promise<void> {
    if (this.child !== null) return;
    const logBefore = this.mainlogSync();
    const args = ['-C', this.conf, '-bdf', ...(this.queueInterval !== null ? [this.queueInterval] : []), '-oX', `${this.address}.${this.port}`];
    const child = this.netns === null
      ? spawn(EXIM, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
      : spawn('ip', ['netns', 'exec', this.netns, EXIM, ...args], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    this.child = child;
    this.stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { this.stderr += chunk.toString(); });
    child.once('exit', () => { if (this.child === child) this.child = null; });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const log = this.mainlogSync().slice(logBefore.length);
      if (/daemon started: pid=\d+/.test(log)) return;
      if (this.child !== child || Date.now() > deadline) {
        const why = this.child !== child ? 'exited' : 'did not start within 10 s';
        await this.stop();
        throw new Error(`exim ${why}: ${this.stderr.trim() || log.trim() || '(no output)'} (config ${this.conf})`);
      }
      await sleep(50);
    }
  }

  /**
   * Stops listening and drops open SMTP sessions at once (as an MTA going down would);
   * deliveries already under way get 5 s to finish. What is left in the spool is delivered
   * by the next start().
   */
  async stop(): Promise<void> {
    const child = this.child;
    if (child !== null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      this.signal(/-bdf/, 'SIGTERM');
      if (!(await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]))) {
        this.signal(/-bdf/, 'SIGKILL');
        await exited;
      }
      this.child = null;
    }
    const deadline = Date.now() + 5000;
    while (this.pids().length > 0 && Date.now() < deadline) await sleep(50);
    while (this.pids().length > 0) {
      this.signal(/./, 'SIGKILL');
      await sleep(20);
    }
  }

  /** Stops exim and removes the temp dir. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  /** Changes how RCPT TO for `address` is answered; takes effect from the next RCPT, open sessions included. */
  setRecipient(address: string, policy: RecipientPolicy): void {
    for (const list of ['defer', 'fail'] as const) {
      const file = join(this.dir, `acl-${list}`);
      const entries = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '' && l !== address.toLowerCase());
      if (policy === list) entries.push(address.toLowerCase());
      writeFileSync(`${file}.tmp`, entries.map((e) => `${e}\n`).join(''));
      renameSync(`${file}.tmp`, file);
    }
  }

  /** Every message delivered so far, oldest first. */
  async messages(): Promise<MaildirMessage[]> {
    const out: MaildirMessage[] = [];
    const files: string[] = [];
    for (const sub of ['new', 'cur']) {
      try {
        for (const name of await readdir(join(this.maildir, sub))) files.push(join(sub, name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    files.sort((a, b) => a.slice(4).localeCompare(b.slice(4), 'en', { numeric: true }));
    for (const file of files) out.push(parseMessage(file, await readFile(join(this.maildir, file), 'utf8')));
    return out;
  }

  /** Resolves with the messages once at least `n` have arrived; rejects after `timeoutMs`. */
  async waitFor(n: number, timeoutMs: number): Promise<MaildirMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const count = this.countSync();
      if (count >= n) return this.messages();
      if (Date.now() > deadline) throw new Error(`exim: ${count} of ${n} messages arrived within ${timeoutMs} ms (Maildir ${this.maildir})`);
      await sleep(Math.min(200, 20 + count));
    }
  }

  /**
   * Resolves with the first message whose envelope recipient is `address`; rejects after
   * `timeoutMs`, naming the recipients that did get mail.
   */
  async waitForRecipient(address: string, timeoutMs: number): Promise<MaildirMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const all = await this.messages();
      const hit = all.find((m) => m.recipient === address);
      if (hit) return hit;
      if (Date.now() > deadline) {
        throw new Error(`exim: no message to ${address} within ${timeoutMs} ms; delivered to: ${all.map((m) => m.recipient).join(', ') || 'nobody'}`);
      }
      await sleep(200);
    }
  }

  /** Messages accepted and not yet delivered. */
  spooledCount(): number {
    return spooled(join(this.dir, 'spool', 'input'));
  }

  /** Resolves once exim holds no message in its spool (everything accepted is delivered). */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = spooled(join(this.dir, 'spool', 'input'));
      if (left === 0) return;
      if (Date.now() > deadline) throw new Error(`exim: ${left} message(s) still in the spool after ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** exim's main log, for assertions on what the MTA saw. */
  mainlogSync(): string {
    try {
      return readFileSync(join(this.dir, 'log', 'mainlog'), 'utf8');
    } catch {
      return '';
    }
  }

  private countSync(): number {
    let n = 0;
    for (const sub of ['new', 'cur']) {
      try {
        n += readdirSync(join(this.maildir, sub)).length;
      } catch {
        // not created before the first delivery
      }
    }
    return n;
  }

  /** Processes running our configuration (daemon, SMTP sessions, deliveries, queue runners). */
  pids(): number[] {
    const found: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (/\) Z /.test(stat)) continue; // a zombie holds nothing
        if (args.includes(this.conf) && args.some((a) => /exim/.test(a))) found.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
    return found;
  }

  private signal(argPattern: RegExp, signal: NodeJS.Signals): void {
    for (const pid of this.pids()) {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        if (argPattern.test(args)) process.kill(pid, signal);
      } catch {
        // gone meanwhile
      }
    }
  }

  /** For the exit handler: no awaiting possible there. */
  killSync(): void {
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private writeConfig(options: EximOptions): void {
    const d = this.dir;
    if (!/^[A-Za-z0-9.-]+$/.test(this.domain)) throw new Error(`exim: domain '${this.domain}' is not a host name`);
    writeFileSync(join(d, 'acl-defer'), (options.defer ?? []).map((a) => `${a.toLowerCase()}\n`).join(''));
    writeFileSync(join(d, 'acl-fail'), (options.fail ?? []).map((a) => `${a.toLowerCase()}\n`).join(''));
    const conf = `# written by test/lab/exim.ts
primary_hostname = mta.${this.domain}
keep_environment =
spool_directory = ${d}/spool
split_spool_directory = true
log_file_path = ${d}/log/%slog
pid_file_path = ${d}/exim.pid
domainlist local_domains = ${this.domain}
acl_smtp_rcpt = acl_rcpt
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
# deliver every message at once, however many arrive over one connection (unless queueOnly)
smtp_accept_queue_per_connection = 0
queue_only = ${options.queueOnly === true ? 'true' : 'false'}
smtp_accept_max = 100
smtp_accept_max_per_connection = 0
message_size_limit = 10M

begin acl
# The lists are files named in the list, which exim reads afresh at every RCPT (a lookup
# would be cached for the whole SMTP session), so setRecipient() works on open sessions too.
acl_rcpt:
  defer   message = 4.3.0 deferred by test
          recipients = ${d}/acl-defer
  deny    message = 5.1.1 rejected by test
          recipients = ${d}/acl-fail
  accept  domains = +local_domains
  deny    message = 5.7.1 relay not permitted

begin routers
catchall:
  driver = accept
  domains = +local_domains
  transport = maildir

begin transports
maildir:
  driver = appendfile
  directory = ${this.maildir}
  maildir_format
  create_directory
  envelope_to_add
  return_path_add
  delivery_date_add
  mode = 0644

begin retry
*  *  F,1d,5s
`;
    writeFileSync(this.conf, conf, { mode: 0o644 });
    const { uid, gid } = eximIds();
    chownTree(d, uid, gid);
    chownSync(this.conf, 0, 0);
  }
}

function eximIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', USER]).toString().trim());
  return { uid, gid };
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, entry.name);
    if (entry.isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

/** A high port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Messages in a (split) spool input directory: one -H file each. */
function spooled(dir: string): number {
  let n = 0;
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) n += spooled(join(dir, entry.name));
      else if (entry.name.endsWith('-H')) n++;
    }
  } catch {
    // no spool yet
  }
  return n;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function parseMessage(file: string, raw: string): MaildirMessage {
  const text = raw.replace(/\r\n/g, '\n');
  const split = text.indexOf('\n\n');
  const head = split < 0 ? text : text.slice(0, split);
  const bodyRaw = split < 0 ? '' : text.slice(split + 2);
  const headerList: [string, string][] = [];
  for (const field of head.split(/\n(?![ \t])/)) {
    const colon = field.indexOf(':');
    if (colon <= 0) continue;
    headerList.push([field.slice(0, colon).toLowerCase(), field.slice(colon + 1).replace(/\n[ \t]+/g, ' ').trim()]);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of headerList) headers[name] ??= value;
  const cte = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  let body = bodyRaw;
  if (cte === 'base64') body = Buffer.from(bodyRaw.replace(/\s+/g, ''), 'base64').toString('utf8');
  else if (cte === 'quoted-printable') body = decodeQuotedPrintable(bodyRaw);
  return {
    file,
    recipient: headers['envelope-to'] ?? '',
    headers,
    headerList,
    subject: decodeWords(headers.subject ?? ''),
    body: body.replace(/\r\n/g, '\n'),
    raw,
  };
}

/** RFC 2047, as a reader does it (independent of the encoder under test). */
export function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, charset: string, enc: string, data: string) => {
      const bytes = enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64')
        : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return new TextDecoder(charset.toLowerCase()).decode(bytes);
    });
}

function decodeQuotedPrintable(text: string): string {
  const bytes = Buffer.from(
    text.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  );
  return bytes.toString('utf8');
}

atExit(() => { for (const exim of live) exim.killSync(); });
