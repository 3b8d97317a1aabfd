// A strict reader of the Prometheus text exposition format 0.0.4, for tests: it throws on
// anything a careful scraper could refuse, and on the conventions backsoon keeps on top of the
// format (every family has HELP then TYPE before its samples, counters end in _total and are
// never negative). Written from the format's specification, independent of metrics.ts.

export interface ParsedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface ParsedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly samples: ParsedSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export class ExpositionError extends Error {
  constructor(line: number, problem: string) {
    super(`exposition line ${line}: ${problem}`);
  }
}

export function parseExposition(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith('\n')) throw new ExpositionError(0, 'the text must end with a line feed');
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)) {
    throw new ExpositionError(0, 'lone UTF-16 surrogate: the text cannot be sent as UTF-8');
  }
  const lines = text.slice(0, -1).split('\n');
  const families = new Map<string, ParsedFamily>();
  const finished = new Set<string>();   // families whose samples are over: they may not reappear
  const series = new Set<string>();
  let current: string | null = null;    // the family whose samples are being read
  let pendingHelp: { name: string; help: string } | null = null;

  lines.forEach((line, index) => {
    const n = index + 1;
    if (line === '') throw new ExpositionError(n, 'empty line');
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (m === null) return; // other comments are allowed and ignored
      const [, keyword, name, rest] = m;
      if (!METRIC_NAME.test(name)) throw new ExpositionError(n, `invalid metric name '${name}'`);
      if (keyword === 'HELP') {
        if (families.has(name) || pendingHelp?.name === name || finished.has(name)) throw new ExpositionError(n, `second HELP for ${name}`);
        if (pendingHelp !== null) throw new ExpositionError(n, `HELP for ${pendingHelp.name} has no TYPE after it`);
        pendingHelp = { name, help: unescapeHelp(rest, n) };
        closeCurrent();
        return;
      }
      if (!TYPES.has(rest)) throw new ExpositionError(n, `unknown type '${rest}' for ${name}`);
      if (families.has(name)) throw new ExpositionError(n, `second TYPE for ${name}`);
      if (pendingHelp === null || pendingHelp.name !== name) throw new ExpositionError(n, `TYPE for ${name} without a HELP line right before it`);
      if (rest === 'counter' && !name.endsWith('_total')) throw new ExpositionError(n, `counter ${name} does not end in _total`);
      if (rest !== 'counter' && name.endsWith('_total')) throw new ExpositionError(n, `${rest} ${name} ends in _total, which is for counters`);
      families.set(name, { name, help: pendingHelp.help, type: rest, samples: [] });
      pendingHelp = null;
      closeCurrent();
      current = name;
      return;
    }
    if (pendingHelp !== null) throw new ExpositionError(n, `sample after HELP ${pendingHelp.name} without its TYPE`);
    const sample = parseSample(line, n);
    const family = families.get(sample.name);
    if (family === undefined) throw new ExpositionError(n, `sample of ${sample.name} before its TYPE line`);
    if (current !== sample.name) throw new ExpositionError(n, `samples of ${sample.name} are not together`);
    if (family.type === 'counter' && !(sample.value >= 0)) throw new ExpositionError(n, `counter ${sample.name} is ${sample.value}`);
    const key = `${sample.name}{${Object.keys(sample.labels).sort().map((k) => `${k}=${JSON.stringify(sample.labels[k])}`).join(',')}}`;
    if (series.has(key)) throw new ExpositionError(n, `duplicate series ${key}`);
    series.add(key);
    family.samples.push(sample);
  });
  if (pendingHelp !== null) throw new ExpositionError(lines.length, `HELP for ${(pendingHelp as { name: string }).name} has no TYPE`);
  return families;

  function closeCurrent(): void {
    if (current !== null) finished.add(current);
    current = null;
  }
}

function parseSample(line: string, n: number): ParsedSample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (nameMatch === null) throw new ExpositionError(n, `no metric name at the start of '${line}'`);
  const name = nameMatch[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
      if (labelMatch === null) throw new ExpositionError(n, `bad label name at column ${i + 1}`);
      const label = labelMatch[0];
      if (!LABEL_NAME.test(label) || label.startsWith('__')) throw new ExpositionError(n, `reserved or invalid label name '${label}'`);
      if (Object.prototype.hasOwnProperty.call(labels, label)) throw new ExpositionError(n, `label ${label} given twice`);
      i += label.length;
      if (line[i] !== '=' || line[i + 1] !== '"') throw new ExpositionError(n, `expected =" after label ${label}`);
      i += 2;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new ExpositionError(n, `unterminated value of label ${label}`);
        if (c === '"') { i++; break; }
        if (c === '\\') {
          const next = line[i + 1];
          if (next === '\\') value += '\\';
          else if (next === '"') value += '"';
          else if (next === 'n') value += '\n';
          else throw new ExpositionError(n, `invalid escape \\${next ?? ''} in label ${label}`);
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      labels[label] = value;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new ExpositionError(n, `expected , or } after label ${label}`);
    }
    i++;
  }
  if (line[i] !== ' ') throw new ExpositionError(n, `expected one space before the value of ${name}`);
  const fields = line.slice(i + 1).split(' ');
  if (fields.length > 2 || fields.some((f) => f === '')) throw new ExpositionError(n, `expected "value [timestamp]" after ${name}`);
  const value = parseValue(fields[0], n);
  if (fields.length === 2 && !/^-?\d+$/.test(fields[1])) throw new ExpositionError(n, `invalid timestamp '${fields[1]}'`);
  return { name, labels, value };
}

function parseValue(text: string, n: number): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!FLOAT.test(text)) throw new ExpositionError(n, `invalid sample value '${text}'`);
  return Number(text);
}

function unescapeHelp(text: string, n: number): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    throw new ExpositionError(n, `invalid escape \\${c} in HELP`);
  });
}
