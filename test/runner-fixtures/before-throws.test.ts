// Runner fixture: the set-up in test.before throws; uvu skips the tests and prints no error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

function setUpTheLab(): never {
  throw new Error('the lab could not be built: no such namespace bs-fixture-r');
}

test.before(() => { setUpTheLab(); });
test('first', () => { assert.ok(true); });
test('second', () => { assert.ok(true); });

test.run();
