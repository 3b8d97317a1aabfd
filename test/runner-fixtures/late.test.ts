// Runner fixture: a test declared after test.run(); uvu would leave it out and say nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('in time', () => { assert.ok(true); });

test.run();

test('too late', () => { assert.ok(false, 'never runs'); });
