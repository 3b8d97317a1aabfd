// Preloaded into every suite by test/run (uvu -r): errors thrown in test.before, test.after and
// test.after.each are printed with their stack and marked for the runner to count. uvu itself
// swallows them: a failing test.before prints "(0 / N)" and nothing else, a failing after.each
// after a failed test ends its suite silently, and a failing test.after ends the whole file
// without a summary. test.before.each needs nothing: uvu reports its error as that test's failure.
// A test declared after its suite's run() is marked too: uvu would leave it out of the run and
// of its counts without a word.
//
// The marker lines are "!!! test.HOOK threw (SUITE; ...)" and "!!! test declared after run()
// (SUITE; ...): "NAME""; see test/runner/outcome.ts.
import { createRequire } from 'node:module';
import type * as uvu from 'uvu';

// The module object itself, which suites compiled to CommonJS (as tsx does here) read `suite`
// from at each call; an ES namespace import would be a frozen copy.
const uvuExports = createRequire(import.meta.url)('uvu') as { test: uvu.Test; suite: (title?: string, context?: object) => uvu.Test };

type Hook = (handler: uvu.Callback) => void;
type Runnable = uvu.Test & { before: Hook & { each: Hook }; after: Hook & { each: Hook } };

// Stack frames of uvu and of this wrapper say nothing about the suite.
const NOISE = /^\s+at .*(node_modules\/uvu\/|test\/runner\/uvu-hooks\.ts)/;

function report(hook: string, suite: string, err: unknown): void {
  const stack = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  const text = stack.split('\n').filter((line) => !NOISE.test(line)).join('\n');
  const what = hook === 'before' ? 'its tests did not run' : 'the suite is counted as failed';
  process.stdout.write(`\n!!! test.${hook} threw (${suite || 'the file'}; ${what}):\n${text.replace(/^/gm, '    ')}\n`);
}

/** Wraps a hook so that its error is reported; `rethrow` keeps uvu's own reaction to it. */
function wrap(hook: string, handler: uvu.Callback, rethrow: boolean): uvu.Callback {
  return async (context) => {
    try {
      await handler(context);
    } catch (err) {
      report(hook, context.__suite__, err);
      if (rethrow) throw err;
    }
  };
}

/**
 * `test` with a check that no test is declared after its run(): uvu starts a fresh list at run(),
 * which nothing ever runs.
 */
function guardLateTests(test: uvu.Test, suite: string): uvu.Test {
  let ran = false;
  const late = (name: string): void => {
    if (ran) process.stdout.write(`\n!!! test declared after run() (${suite}; it did not run): "${name}"\n`);
  };
  const declare = ((name: string, handler: uvu.Callback) => { late(name); test(name, handler); }) as uvu.Test;
  Object.assign(declare, test);
  declare.only = ((name: string, handler: uvu.Callback) => { late(name); test.only(name, handler); }) as uvu.Test['only'];
  declare.run = () => { ran = true; test.run(); };
  return declare;
}

function instrument(test: uvu.Test): uvu.Test {
  const t = test as unknown as Runnable;
  const { before, after } = t;
  // A failing set-up must still stop its tests; a failing teardown must not end the run.
  const newBefore = ((h: uvu.Callback) => before(wrap('before', h, true))) as Runnable['before'];
  newBefore.each = before.each;
  const newAfter = ((h: uvu.Callback) => after(wrap('after', h, false))) as Runnable['after'];
  newAfter.each = (h: uvu.Callback) => after.each(wrap('after.each', h, false));
  t.before = newBefore;
  t.after = newAfter;
  return test;
}

uvuExports.test = guardLateTests(instrument(uvuExports.test), 'the file');
const makeSuite = uvuExports.suite;
uvuExports.suite = (title, context) => guardLateTests(instrument(makeSuite(title, context)), title ?? 'the file');
