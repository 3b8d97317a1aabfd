// Runner fixture: an exception nobody catches kills the process in the middle of the run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('passes', () => { assert.ok(true); });
test('crashes the process', async () => {
  setImmediate(() => { throw new Error('uncaught, from a timer'); });
  await new Promise((resolve) => setTimeout(resolve, 1000));
});
test('never reached', () => { assert.ok(true); });

test.run();
