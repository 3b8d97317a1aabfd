// The messages between the daemon and the thread that runs the operator's policy (isolated.ts,
// worker-main.ts). Plain data only: everything crosses by structured clone.
import type { HookFailure, HookName, PolicyOptions } from './types';

/** Marks a thread started to run a policy (main.ts hands it to worker-main.ts). */
export const POLICY_WORKER_ROLE = 'backsoon-policy';

/**
 * The argument a policy thread is started with, so that the daemon's bundle can tell it is one
 * from process.argv alone: the main thread then never loads node:worker_threads at start.
 */
export const POLICY_WORKER_ARG = '--backsoon-policy-thread';

export interface WorkerStart {
  readonly role: typeof POLICY_WORKER_ROLE;
  readonly file: string;
  /** The file's text as read at load: a restarted thread runs the same code. */
  readonly source: string;
  readonly options: Omit<PolicyOptions, 'log'>;
}

export interface CallMessage {
  readonly type: 'call';
  readonly id: number;
  readonly hook: HookName;
  readonly args: readonly unknown[];
}

export type WorkerMessage =
  | { readonly type: 'loaded'; readonly hooks: readonly HookName[] }
  | { readonly type: 'loadFailed'; readonly message: string }
  | { readonly type: 'result'; readonly id: number; readonly value: unknown; readonly failure: HookFailure | null; readonly rebuilds: number }
  | { readonly type: 'log'; readonly level: 'error' | 'warn' | 'info' | 'debug'; readonly message: string };
