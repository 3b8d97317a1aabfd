// Runner fixture: the suite ends its own process with exit code 0 while loading, before uvu
// has run a test or printed its summary (as a suite that quietly skips itself would).
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('never run', () => { assert.ok(true); });

test.run();
process.exit(0);
