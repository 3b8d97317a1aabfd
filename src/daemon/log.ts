// One line per event on stderr, which procd hands to logd on OpenWrt.

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const rank: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  (level: LogLevel, message: string): void;
  level: LogLevel;
}

/** Would `log` write a line of `level`? (Skip composing messages nobody will see.) */
export function logsAt(log: Logger, level: LogLevel): boolean {
  return rank[level] <= rank[log.level];
}

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const log = ((lvl: LogLevel, message: string) => {
    if (rank[lvl] > rank[log.level]) return;
    // Keep one event on one line, whatever the message carries.
    write(`${lvl}: ${message.replace(/[\r\n]+/g, ' | ')}\n`);
  }) as Logger;
  log.level = level;
  return log;
}
