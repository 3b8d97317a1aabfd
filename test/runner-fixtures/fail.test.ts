// Runner fixture: one test passes, two fail.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('passes', () => { assert.ok(true); });
test('fails first', () => { assert.is(1, 2); });
test('fails second', () => { throw new Error('second failure'); });

test.run();
