// What one suite's run amounts to, read from uvu's output and the way its process ended.
// uvu's Total leaves skipped tests out (test.skip, and the tests a test.only passes over), so
// the failures are Total - Passed. A suite that ends before uvu's summary, exits non-zero after a
// clean one, times out, registers no test, whose hooks threw or that declared a test after its
// run() (test/runner/uvu-hooks.ts) is a failure too, whatever its exit code says.

export interface SuiteEnd {
  /** uvu's stdout and stderr, as printed. */
  output: string;
  code: number | null;
  signal: string | null;
  /** Set when the runner killed the suite for running longer than this many seconds. */
  timedOutAfterS: number | null;
}

export interface Outcome {
  passed: number;
  failed: number;
  skipped: number;
  /** One line per failure: a failed test ("name" or suite › "name"), a hook error, how the suite ended. */
  problems: string[];
}

const FAILED_TEST = /^ {3}FAIL {2}(?:(.+?) {2})?"(.*)"$/;
const SUITE_TALLY = /\((\d+) \/ (\d+)\)\s*$/;
const PASS_MARK = '• ';
const FAIL_MARK = '✘ ';
const HOOK_ERROR = /^!!! test\.(before|after|after\.each) threw \((.*?); /;
const LATE_TEST = /^!!! test declared after run\(\) \((.*?); it did not run\): "(.*)"$/;

function summaryNumber(lines: string[], label: string): number | null {
  const re = new RegExp(`^\\s+${label}:\\s+(\\d+)`);
  let found: number | null = null;
  for (const line of lines) {
    const m = re.exec(line);
    if (m) found = Number(m[1]);
  }
  return found;
}

function howItEnded(end: SuiteEnd): string {
  return end.signal !== null ? `was killed by ${end.signal}` : `exited ${end.code}`;
}

export function outcomeOf(end: SuiteEnd): Outcome {
  const lines = end.output.split('\n');
  const problems: string[] = [];
  const total = summaryNumber(lines, 'Total');
  const passedInSummary = summaryNumber(lines, 'Passed');
  const hasSummary = total !== null && passedInSummary !== null;

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  if (hasSummary) {
    passed = passedInSummary;
    failed = total - passedInSummary;
    skipped = summaryNumber(lines, 'Skipped') ?? 0;
  } else {
    // No summary: what the suites of this file finished before the end still counts, and so
    // do the marks (• passed, ✘ failed) uvu printed for the suite that was cut short.
    for (const line of lines) {
      const m = SUITE_TALLY.exec(line);
      if (m) { passed += Number(m[1]); failed += Number(m[2]) - Number(m[1]); continue; }
      passed += line.split(PASS_MARK).length - 1;
      failed += line.split(FAIL_MARK).length - 1;
    }
  }

  lines.forEach((line, i) => {
    const test = FAILED_TEST.exec(line);
    if (test) problems.push(test[1] ? `${test[1]} › "${test[2]}"` : `"${test[2]}"`);
    const hook = HOOK_ERROR.exec(line);
    if (hook) {
      const where = hook[2] === 'the file' ? '' : ` in suite ${hook[2]}`;
      problems.push(`test.${hook[1]}${where} threw: ${(lines[i + 1] ?? '').trim()}`);
      // A throwing set-up already failed its tests (uvu counts them in Total, not in Passed).
      if (hook[1] !== 'before') failed++;
    }
    const late = LATE_TEST.exec(line);
    if (late) {
      problems.push(`"${late[2]}"${late[1] === 'the file' ? '' : ` in suite ${late[1]}`} was declared after run(): it did not run`);
      failed++;
    }
  });
  if (failed === 0 && problems.some((p) => p.startsWith('test.before'))) failed = 1;

  if (end.timedOutAfterS !== null) {
    problems.push(`timed out after ${end.timedOutAfterS} s: killed with its process group`);
    failed++;
  } else if (!hasSummary) {
    problems.push(`${howItEnded(end)} before uvu's summary`);
    failed++;
  } else if (end.code !== 0 && failed === 0) {
    problems.push(`${howItEnded(end)} after a summary without failures`);
    failed++;
  } else if (total === 0 && skipped === 0) {
    problems.push('has no test');
    failed++;
  }
  return { passed, failed, skipped, problems };
}
