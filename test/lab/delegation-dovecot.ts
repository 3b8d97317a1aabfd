// A real POP3 server for the lab: Debian's Dovecot (dovecot-pop3d) in the foreground with a
// configuration of its own in a temp dir, serving one Maildir (the one an exim of the test
// delivers into) to one passwd-file user, on 127.0.0.1 and free high ports. Optionally with
// TLS (STLS on the plain port, and a pop3s port) from a self-signed certificate made here by
// openssl. No dovecot process and no temp dir outlive the test process.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './exim';

const DOVECOT = '/usr/sbin/dovecot';
const live = new Set<Dovecot>();

export interface DovecotOptions {
  /** The Maildir served (created by dovecot when missing). */
  readonly maildir: string;
  readonly user: string;
  readonly password: string;
  /** Numeric uid/gid the mail processes run as: the owner of the Maildir. */
  readonly uid: number;
  readonly gid: number;
  /** Serve STLS and pop3s with a self-signed certificate for 127.0.0.1 and localhost. */
  readonly tls?: boolean;
}

export class Dovecot {
  readonly dir: string;
  /** PEM of the self-signed certificate (its own CA) when tls is on. */
  readonly certFile: string;
  private child: ChildProcess | null = null;
  private stderr = '';

  private constructor(readonly port: number, readonly tlsPort: number, private readonly options: DovecotOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'bs-dl-dovecot-'));
    this.certFile = join(this.dir, 'cert.pem');
    live.add(this);
  }

  static async start(options: DovecotOptions): Promise<Dovecot> {
    if (process.getuid?.() !== 0) throw new Error('test/lab/delegation-dovecot.ts: needs root (dovecot switches to the mail user)');
    if (!existsSync(DOVECOT)) throw new Error(`${DOVECOT} is missing; install Debian's dovecot-pop3d (make deps)`);
    const d = new Dovecot(await freePort(), options.tls ? await freePort() : 0, options);
    try {
      d.writeConfig();
      await d.run();
    } catch (err) {
      await d.dispose();
      throw err;
    }
    return d;
  }

  private writeConfig(): void {
    const o = this.options;
    const d = this.dir;
    if (!/^[A-Za-z0-9._-]+$/.test(o.user) || /[:\n]/.test(o.password)) throw new Error('dovecot: user/password unfit for a passwd-file');
    // dovecot's auth process runs as user dovecot: it must reach the passwd-file (a test secret)
    chmodSync(d, 0o755);
    writeFileSync(join(d, 'passwd'), `${o.user}:{PLAIN}${o.password}:${o.uid}:${o.gid}::${d}::\n`, { mode: 0o644 });
    if (o.tls) {
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
        '-keyout', join(d, 'key.pem'), '-out', this.certFile, '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ], { stdio: 'ignore' });
    }
    const conf = `# written by test/lab/delegation-dovecot.ts
base_dir = ${d}/run
state_dir = ${d}/state
log_path = ${d}/dovecot.log
protocols = pop3
listen = 127.0.0.1
${o.tls ? `ssl = yes\nssl_cert = <${this.certFile}\nssl_key = <${d}/key.pem` : 'ssl = no'}
disable_plaintext_auth = no
auth_mechanisms = plain
# the Maildir belongs to Debian-exim, a system user
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:${o.maildir}
pop3_uidl_format = %08Xu%08Xv
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${d}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u ${d}/passwd
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${this.port}
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = ${this.tlsPort}
    ${o.tls ? 'ssl = yes' : ''}
  }
}
service anvil {
  chroot =
}
service stats {
  chroot =
}
`;
    writeFileSync(join(d, 'dovecot.conf'), conf);
  }

  private async run(): Promise<void> {
    const child = spawn(DOVECOT, ['-F', '-c', join(this.dir, 'dovecot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr!.on('data', (c: Buffer) => { this.stderr += c.toString(); });
    child.once('exit', () => { if (this.child === child) this.child = null; });
    const deadline = Date.now() + 10_000;
    while (!(await greets(this.port))) {
      if (this.child !== child || Date.now() > deadline) {
        throw new Error(`dovecot did not start: ${this.stderr.trim()} ${this.log().trim()} (config ${join(this.dir, 'dovecot.conf')})`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'dovecot.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async dispose(): Promise<void> {
    const child = this.child;
    if (child !== null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      this.child = null;
    }
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  killSync(): void {
    this.child?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** True once something on the port answers with a POP3 greeting. */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.setTimeout(1000, () => done(false));
    s.once('error', () => done(false));
    s.once('data', (d: Buffer) => {
      s.write('QUIT\r\n');
      done(d.toString().startsWith('+OK'));
    });
  });
}

process.on('exit', () => {
  for (const d of live) d.killSync();
});
