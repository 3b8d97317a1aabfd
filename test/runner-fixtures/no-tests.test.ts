// Runner fixture: a suite file that registers no test at all.
import { test } from 'uvu';

test.run();
