// Re-reading the configuration file, for SIGHUP and for `ubus call backsoon reload`: one reload
// at a time (two at once would bind the trap port twice and hand the stand-in an engine that is
// already replaced), none before startup is over, and an answer saying what happened. Requests
// that arrive while a reload is waiting to start share it: a burst of HUPs makes one more reload,
// which reads the file as it is when it starts.
import '../parts';
import { ConfigError } from '../config/diagnostics';
import { loadConfig } from '../config/validate';
import type { Config } from '../config/types';
import type { Daemon } from './daemon';
import type { Logger } from './log';

export type ReloadOutcome =
  | { readonly ok: true; readonly config: string; readonly outagesKept: number; readonly warnings: readonly string[] }
  /** The running configuration stays; `errors` are `FILE:LINE: what and how to fix it`. */
  | { readonly ok: false; readonly config: string; readonly errors: readonly string[] };

export interface ReloadCounts {
  /** Requests received (SIGHUP, ubus). */
  requested: number;
  /** Reloads run; requested - started were served by a reload that had not started yet. */
  started: number;
  done: number;
  /** The file was refused; the running configuration stayed. */
  refused: number;
  /** A reload that failed part-way. */
  failed: number;
}

export class Reloader {
  readonly counts: ReloadCounts = { requested: 0, started: 0, done: 0, refused: 0, failed: 0 };
  /** The reload every request waits for: resolves once the previous one (or startup) is over. */
  private tail: Promise<unknown>;
  /** The reload queued and not yet started, shared by whoever asks meanwhile. */
  private waiting: Promise<ReloadOutcome> | null = null;
  private open: () => void = () => {};
  private closed = false;

  constructor(private readonly file: string, private readonly daemon: Daemon, private readonly log: Logger) {
    this.tail = new Promise<void>((resolve) => { this.open = resolve; });
  }

  /** Startup is over: reloads may run, and one asked for meanwhile runs now. */
  started(): void {
    this.open();
  }

  /** Asks for a reload; `by` names who asked, for the log. */
  reload(by: string): Promise<ReloadOutcome> {
    this.counts.requested++;
    if (this.waiting !== null) return this.waiting;
    const run = this.tail.then(() => {
      this.waiting = null;
      return this.once(by);
    });
    this.waiting = run;
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Refuses further reloads and resolves once the running one (if any) has finished. */
  async close(): Promise<void> {
    this.closed = true;
    this.open();
    await this.tail;
  }

  private async once(by: string): Promise<ReloadOutcome> {
    if (this.closed) return { ok: false, config: this.file, errors: ['backsoon is stopping'] };
    this.counts.started++;
    this.log('info', `${by}: reloading ${this.file}`);
    const warnings: string[] = [];
    let next: Config;
    try {
      next = loadConfig(this.file, { onWarning: (w) => warnings.push(w) });
    } catch (err) {
      this.counts.refused++;
      const errors = err instanceof ConfigError ? err.errors : [(err as Error).message];
      this.log('error', `reload refused (${by}), keeping the running configuration:\n${errors.join('\n')}`);
      return { ok: false, config: this.file, errors };
    }
    try {
      const { restored } = await this.daemon.reload(next);
      this.counts.done++;
      return { ok: true, config: this.file, outagesKept: restored, warnings };
    } catch (err) {
      this.counts.failed++;
      const message = `reload (${by}): ${(err as Error).message}`;
      this.log('error', message);
      return { ok: false, config: this.file, errors: [message] };
    }
  }
}
