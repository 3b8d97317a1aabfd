// JSON text in pieces, so a large document (the state file at 64 k waiting clients is ~12 MB)
// is written without one long JSON.stringify blocking the event loop. Joined, the pieces are
// exactly JSON.stringify(value).

/** A value that writes its own JSON text in pieces (the engine's state copy). */
export interface JsonInPieces {
  jsonPieces(): Iterable<string>;
}

export function* jsonPieces(value: unknown): Generator<string> {
  if (hasOwnPieces(value)) {
    yield* value.jsonPieces();
    return;
  }
  const v = toJson(value);
  if (Array.isArray(v)) {
    yield '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) yield ',';
      const item = toJson(v[i]);
      // as JSON.stringify does: what has no JSON form becomes null inside an array
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') yield 'null';
      else yield* jsonPieces(item);
    }
    yield ']';
    return;
  }
  if (v === null || typeof v !== 'object' || isLeaf(v as Record<string, unknown>)) {
    yield JSON.stringify(v);
    return;
  }
  yield '{';
  let first = true;
  for (const [key, raw] of Object.entries(v as Record<string, unknown>)) {
    const item = toJson(raw);
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    yield `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    yield* jsonPieces(item);
  }
  yield '}';
}

function toJson(value: unknown): unknown {
  const v = value as { toJSON?: () => unknown } | null;
  return v !== null && typeof v === 'object' && typeof v.toJSON === 'function' ? v.toJSON() : value;
}

/** An object with no object inside: one JSON.stringify is cheaper than walking it. */
function isLeaf(o: Record<string, unknown>): boolean {
  for (const key in o) {
    const x = o[key];
    if (x !== null && typeof x === 'object') return false;
  }
  return true;
}

function hasOwnPieces(value: unknown): value is JsonInPieces {
  return value !== null && typeof value === 'object' && typeof (value as Partial<JsonInPieces>).jsonPieces === 'function';
}
