// A real DNS server for the agent's reverse lookups (P14): dnsmasq (Debian dnsmasq-base) in the
// foreground on 127.0.0.1 and a free high port, answering only the PTR records the test gives
// it and nothing else (no upstream, no /etc/hosts), so no query leaves the machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';

const live = new Set<ChildProcess>();

export class Dnsmasq {
  private constructor(readonly port: number, private readonly child: ChildProcess) {}

  /** `ptr`: address -> host name. */
  static async start(ptr: Record<string, string>): Promise<Dnsmasq> {
    const port = await freeUdpPort();
    const records = Object.entries(ptr).map(([address, name]) => `--ptr-record=${address.split('.').reverse().join('.')}.in-addr.arpa,${name}`);
    const child = spawn('dnsmasq', [
      '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--no-poll', '--listen-address=127.0.0.1',
      '--bind-interfaces', `--port=${port}`, '--pid-file=', '--user=root', ...records,
    ], { stdio: 'ignore' });
    live.add(child);
    child.once('exit', () => live.delete(child));
    const d = new Dnsmasq(port, child);
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    const [address, name] = Object.entries(ptr)[0];
    for (let i = 0; ; i++) {
      try {
        if ((await resolver.reverse(address)).includes(name)) return d;
      } catch {
        // not up yet
      }
      if (i > 50 || child.exitCode !== null) { d.stop(); throw new Error('dnsmasq did not start (Debian package dnsmasq-base)'); }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get server(): string {
    return `127.0.0.1:${this.port}`;
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});
