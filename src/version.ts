// backsoon's version: package.json's, written into the bundle by esbuild (--define, Makefile);
// a run from the sources (tsx) reads package.json itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

declare const __BACKSOON_VERSION__: string | undefined;

export const VERSION: string = typeof __BACKSOON_VERSION__ === 'string' ? __BACKSOON_VERSION__ : packageVersion();

function packageVersion(): string {
  const file = join(__dirname, '..', 'package.json');
  const version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
  if (typeof version !== 'string') throw new Error(`${file} has no "version" string; backsoon takes its version from there`);
  return version;
}
