// Re-reading the configuration file, for SIGHUP and for `ubus call backsoon reload`: one
// reload at a time, none before startup is over, and an answer saying what happened.
import { ConfigError } from '../config/diagnostics';
import { loadConfig } from '../config/validate';
import type { Config } from '../config/types';
import type { Daemon } from './daemon';
import type { Logger } from './log';

export type ReloadOutcome =
  | { readonly ok: true; readonly config: string; readonly outagesKept: number; readonly warnings: readonly string[] }
  /** The running configuration stays; `errors` are `FILE:LINE: what and how to fix it`. */
  | { readonly ok: false; readonly config: string; readonly errors: readonly string[] };

export class Reloader {
  private chain: Promise<unknown>;
  private open: () => void = () => {};

  constructor(private readonly file: string, private readonly daemon: Daemon, private readonly log: Logger) {
    // Reloads asked for during startup wait for it.
    this.chain = new Promise<void>((resolve) => { this.open = resolve; });
  }

  /** Startup is over: reloads may run. */
  started(): void {
    this.open();
  }

  /** Queues a reload; `by` names who asked, for the log. */
  reload(by: string): Promise<ReloadOutcome> {
    const run = this.chain.then(() => this.once(by));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async once(by: string): Promise<ReloadOutcome> {
    const warnings: string[] = [];
    let next: Config;
    try {
      next = loadConfig(this.file, { onWarning: (w) => warnings.push(w) });
    } catch (err) {
      const errors = err instanceof ConfigError ? err.errors : [(err as Error).message];
      this.log('error', `reload refused (${by}), keeping the running configuration:\n${errors.join('\n')}`);
      return { ok: false, config: this.file, errors };
    }
    try {
      const { restored } = await this.daemon.reload(next);
      return { ok: true, config: this.file, outagesKept: restored, warnings };
    } catch (err) {
      const message = `reload (${by}): ${(err as Error).message}`;
      this.log('error', message);
      return { ok: false, config: this.file, errors: [message] };
    }
  }
}
