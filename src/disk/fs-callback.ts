// node:fs's callback calls as promises: for a bare descriptor they cost less than fs/promises'
// FileHandle (an object and its bookkeeping per open file), which the outbox's hot paths avoid.
export function fsCall<T>(start: (cb: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((err, value) => { if (err) reject(err); else resolve(value as T); }));
}
