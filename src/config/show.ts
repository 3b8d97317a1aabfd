// Prints a parsed package the way `uci show PACKAGE` does (cli.c in openwrt/uci), so an admin
// can compare what backsoon reads with what the router's own tools read.
import type { UciPackage } from './uci';

/** `'value'` with every ' written as '\'' (shell quoting, as uci prints it). */
export function uciQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

/**
 * One line per section (`pkg.ref=type`) followed by one line per option (`pkg.ref.name='v'`);
 * list items are quoted one by one and separated by a space. Anonymous sections appear as
 * `@type[i]`, where i counts every section of that type before it, named ones included.
 */
export function uciShow(pkg: UciPackage, packageName = 'backsoon'): string {
  let out = '';
  for (const section of pkg.sections) {
    out += `${packageName}.${section.ref}=${section.type}\n`;
    for (const option of section.options) {
      out += `${packageName}.${section.ref}.${option.name}=${option.values.map((v) => uciQuote(v.value)).join(' ')}\n`;
    }
  }
  return out;
}
