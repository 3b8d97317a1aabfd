// Runner fixture: every test is skipped, so nothing runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test.skip('skipped', () => { assert.ok(false); });

test.run();
