// A lab driver process spoken to in JSON lines: orders on its stdin, one answer line each on its
// stdout ({"event": ...}), its stderr kept for failure messages.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export type DriverLine = { event: string; [key: string]: unknown };

export class LineDriver {
  readonly lines: DriverLine[] = [];
  private waiters: { match: (l: DriverLine) => boolean; resolve: (l: DriverLine) => void }[] = [];
  stderr = '';

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      const line = JSON.parse(text) as DriverLine;
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => (w.match(line) ? (w.resolve(line), false) : true));
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.stderr += d; });
  }

  /** The first line (seen already or to come) that matches. */
  next(match: (l: DriverLine) => boolean, timeoutMs = 20_000): Promise<DriverLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`driver: no matching line in ${timeoutMs} ms; stderr:\n${this.stderr}`)), timeoutMs);
      this.waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolve(l); } });
    });
  }

  /** Writes one order; resolves with the first line after it whose event is one of `answers`. */
  send(order: object, answers: readonly string[] = ['done', 'stopped', 'error']): Promise<DriverLine> {
    const before = this.lines.length;
    this.child.stdin!.write(JSON.stringify(order) + '\n');
    return this.next((l) => this.lines.indexOf(l) >= before && answers.includes(l.event));
  }
}
