// Whether the outbox can write to its directory. A failing disk (full, read-only, gone) is one
// condition with one log line when it starts and one when it ends, however many notices it
// touches in between; status shows it while it lasts.
import { diskErrorCode } from '../../disk/durable-write';
import type { LogLevel } from './types';

export class StorageHealth {
  /** "ENOSPC", or the message; null while writing works. */
  error: string | null = null;
  /** ms since the epoch. */
  since: number | null = null;

  constructor(
    private readonly dir: string,
    private readonly retryMs: number,
    private readonly now: () => number,
    private readonly log: (level: LogLevel, line: string) => void,
  ) {}

  get failing(): boolean {
    return this.error !== null;
  }

  failed(err: unknown): void {
    const code = diskErrorCode(err);
    if (this.error === null) {
      this.since = this.now();
      this.log('error', `outbox ${this.dir}: cannot write (${err instanceof Error ? err.message : code}); ` +
        `notices are kept in memory and still sent, and saved once writing works again (tried every ${Math.round(this.retryMs / 1000)} s); ` +
        'free space in the state_dir');
    }
    this.error = code;
  }

  /** Writing works and nothing is left in memory only. */
  recovered(saved: number): void {
    if (this.error === null) return;
    const seconds = Math.round((this.now() - (this.since ?? this.now())) / 1000);
    this.log('info', `outbox ${this.dir}: writing works again after ${seconds} s; ${saved} notice(s) that were in memory only are on disk`);
    this.error = null;
    this.since = null;
  }
}
