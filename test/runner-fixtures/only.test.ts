// Runner fixture: test.only runs one test; uvu counts the two others as skipped, not in Total.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('left out one', () => { assert.ok(false); });
test.only('the only one', () => { assert.ok(true); });
test('left out two', () => { assert.ok(false); });

test.run();
