// Runner fixture: two tests that pass.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('one', () => { assert.is(1 + 1, 2); });
test('two', () => { assert.ok(true); });

test.run();
