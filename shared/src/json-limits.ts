/**
 * Limits every JSON value from outside must meet before any schema or store sees it (docs/contract.md:
 * "Tenancy and limits"): nesting ≤ 16 levels, object keys of 1–256 characters, every string well-formed
 * Unicode (a lone surrogate cannot be stored or hashed faithfully: distinct keys would collapse into one).
 * Iterative, so a hostile value cannot exhaust the stack; stops at the first problem.
 */
export const MAX_JSON_DEPTH = 16;
export const MAX_KEY_LENGTH = 256;

export interface ShapeProblem {
  field: string;
  message: string;
}

/** With the u flag a paired surrogate is one code point; only a lone one is in category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;
export const isWellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);

const path = (parts: readonly (string | number)[]): string => parts.join('.') || '(body)';

export function jsonShapeProblem(value: unknown): ShapeProblem | null {
  const stack: { v: unknown; depth: number; at: (string | number)[] }[] = [{ v: value, depth: 0, at: [] }];
  while (stack.length > 0) {
    const { v, depth, at } = stack.pop()!;
    if (typeof v === 'string') {
      if (!isWellFormed(v)) return { field: path(at), message: 'string is not well-formed Unicode (lone surrogate)' };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_JSON_DEPTH) return { field: path(at), message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ v: item, depth: depth + 1, at: [...at, i] }));
      continue;
    }
    for (const [k, item] of Object.entries(v)) {
      if (k.length === 0 || k.length > MAX_KEY_LENGTH)
        return { field: path([...at, k]), message: `object keys must be 1–${MAX_KEY_LENGTH} characters` };
      if (!isWellFormed(k))
        return { field: path(at), message: 'object key is not well-formed Unicode (lone surrogate)' };
      stack.push({ v: item, depth: depth + 1, at: [...at, k] });
    }
  }
  return null;
}

/** The size a JSON value takes once stored, estimated by its UTF-8 JSON encoding (Firestore's is close). */
export function storedBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
