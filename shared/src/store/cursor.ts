/**
 * The position in a newest-first list (jobs, projects): the creation time and id of the last item given out,
 * as `<epoch ms>.<id>`. Every well-formed value is a position (a client or fuzzer cannot send a "valid but
 * unknown" cursor), and it stays stable while items change: both fields are immutable.
 * No Firestore here: the request schemas use the pattern, and they load before any client (cold start).
 */
import { ValidationError } from '../core/index.js';

// at most 14 digits: every such time (up to the year 5138) is one Firestore can store, so every value the
// pattern admits decodes (a 15-digit time could pass the pattern and still be refused: a flaky fuzz failure)
export const CURSOR_PATTERN = /^\d{1,14}\.[A-Za-z0-9_-]{1,128}$/;

export const encodeCursor = (createdAtMs: number, id: string): string => `${Math.trunc(createdAtMs)}.${id}`;

/** A page's position: the last item's creation time (epoch ms) and id. */
export interface Cursor {
  createdAtMs: number;
  id: string;
}

export function decodeCursor(cursor: string): Cursor {
  if (!CURSOR_PATTERN.test(cursor))
    throw new ValidationError('invalid cursor', [
      { field: 'cursor', message: 'expected <epoch ms>.<id>, as nextCursor gives' },
    ]);
  const dot = cursor.indexOf('.');
  const ms = Number(cursor.slice(0, dot));
  return { createdAtMs: ms, id: cursor.slice(dot + 1) };
}
