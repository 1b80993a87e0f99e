/** Field-by-field comparison of JSON values, for replay (replay.ts) and the patch log (patch-log.ts). Pure. */

export interface ReplayMismatch {
  seq: number;
  path: string;
  recorded: unknown;
  replayed: unknown;
}

/** Compares two values as JSON (undefined fields dropped), recording each differing leaf path. */
export function diff(seq: number, path: string, recorded: unknown, replayed: unknown, out: ReplayMismatch[]): void {
  walk(seq, path, normal(recorded), normal(replayed), out);
}

/** The two values are the same JSON (undefined and null alike, as the store keeps them). */
export function sameJson(a: unknown, b: unknown): boolean {
  const out: ReplayMismatch[] = [];
  diff(0, '', a, b, out);
  return out.length === 0;
}

function normal(v: unknown): unknown {
  return v === undefined ? null : JSON.parse(JSON.stringify(v));
}

function walk(seq: number, path: string, a: unknown, b: unknown, out: ReplayMismatch[]): void {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    if (Array.isArray(a) !== Array.isArray(b)) {
      out.push({ seq, path, recorded: a, replayed: b });
      return;
    }
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys)
      walk(seq, `${path}.${k}`, (a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], out);
    return;
  }
  if (a !== b && !(a === undefined && b === null) && !(a === null && b === undefined))
    out.push({ seq, path, recorded: a, replayed: b });
}
