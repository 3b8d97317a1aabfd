// Prints a parsed package the way `uci show PACKAGE` does (cli.c in openwrt/uci), byte for byte,
// so an admin can compare what backsoon reads with what the router's own tools read.
import type { UciPackage } from './uci';

/** `'value'` with every ' written as '\'' (shell quoting, as uci prints it). */
export function uciQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

const QUOTE = 0x27;
const ESCAPED_QUOTE = Buffer.from("'\\''", 'latin1');

/** Bytes between single quotes, each ' as '\'': what uci prints, bytes that are not UTF-8 included. */
function quotedBytes(bytes: Uint8Array): Buffer[] {
  const parts: Buffer[] = [Buffer.from("'")];
  let from = 0;
  for (let i = bytes.indexOf(QUOTE); i >= 0; i = bytes.indexOf(QUOTE, from)) {
    parts.push(Buffer.from(bytes.subarray(from, i)), ESCAPED_QUOTE);
    from = i + 1;
  }
  parts.push(Buffer.from(bytes.subarray(from)), Buffer.from("'"));
  return parts;
}

/**
 * One line per section (`pkg.ref=type`) followed by one line per option (`pkg.ref.name='v'`);
 * list items are quoted one by one and separated by a space. Anonymous sections appear as
 * `@type[i]`, where i counts every section of that type before it, named ones included.
 */
export function uciShow(pkg: UciPackage, packageName = 'backsoon'): Buffer {
  const out: Buffer[] = [];
  for (const section of pkg.sections) {
    out.push(Buffer.from(`${packageName}.${section.ref}=${section.type}\n`, 'latin1'));
    for (const option of section.options) {
      out.push(Buffer.from(`${packageName}.${section.ref}.${option.name}=`, 'latin1'));
      option.values.forEach((v, i) => {
        if (i > 0) out.push(Buffer.from(' '));
        out.push(...quotedBytes(v.bytes));
      });
      out.push(Buffer.from('\n'));
    }
  }
  return Buffer.concat(out);
}
