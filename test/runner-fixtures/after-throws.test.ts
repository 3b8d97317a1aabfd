// Runner fixture: the teardown in test.after throws after both tests passed; uvu would end the
// run there without a summary.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test.after(() => { throw new Error('the lab could not be taken down'); });
test('first', () => { assert.ok(true); });
test('second', () => { assert.ok(true); });

test.run();
