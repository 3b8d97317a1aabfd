// The counts behind PolicyStats: calls and failures, in all and per hook, failures by kind.
import type { FailureKind, HookName, HookStats, PolicyStats } from './types';

export class HookCounters {
  private readonly totals = { calls: 0, errors: 0, timeouts: 0, outOfMemory: 0, stackOverflows: 0, invalidResults: 0, unavailable: 0 };
  private readonly perHook: Record<HookName, HookStats> = {
    contactFor: { calls: 0, errors: 0 }, shouldNotify: { calls: 0, errors: 0 }, render: { calls: 0, errors: 0 },
  };

  called(hook: HookName): void {
    this.totals.calls++;
    this.perHook[hook].calls++;
  }

  /** A call whose result was not used; `kind` says why. */
  failed(hook: HookName, kind: FailureKind): void {
    this.totals.errors++;
    this.perHook[hook].errors++;
    if (kind === 'timeout') this.totals.timeouts++;
    else if (kind === 'memory') this.totals.outOfMemory++;
    else if (kind === 'stack') this.totals.stackOverflows++;
    else if (kind === 'invalid') this.totals.invalidResults++;
    else if (kind === 'unavailable') this.totals.unavailable++;
  }

  stats(rebuilds: number): PolicyStats {
    const perHook = {
      contactFor: { ...this.perHook.contactFor },
      shouldNotify: { ...this.perHook.shouldNotify },
      render: { ...this.perHook.render },
    };
    return { ...this.totals, rebuilds, perHook };
  }
}
