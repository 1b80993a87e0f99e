/**
 * Firestore's answers to an optimistic write, in one place: which mean "someone else wrote first" and which
 * "it may or may not have landed", and the loop that reads and decides again on either.
 */

/** gRPC status codes as the Firestore client reports them on `err.code`. */
export const Code = {
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNAVAILABLE: 14,
} as const;

export const codeOf = (err: unknown): number | undefined => (err as { code?: number } | null)?.code;

/**
 * ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED: another writer got there first; UNKNOWN, DEADLINE_EXCEEDED,
 * UNAVAILABLE: the commit may or may not have landed (the emulator answers a bare UNKNOWN now and then under
 * load). Either way, read and decide again: the caller's preconditions make a second landing impossible.
 */
const CONFLICTS: ReadonlySet<number> = new Set([
  Code.UNKNOWN,
  Code.DEADLINE_EXCEEDED,
  Code.ALREADY_EXISTS,
  Code.FAILED_PRECONDITION,
  Code.ABORTED,
  Code.UNAVAILABLE,
]);

export const MAX_ATTEMPTS = 12;

/** Runs `once` until it does not fail with a conflict, `MAX_ATTEMPTS` at most, jittered so racers part. */
export async function retryOnConflict<T>(once: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await once();
    } catch (err) {
      if (!CONFLICTS.has(codeOf(err) ?? -1) || attempt >= MAX_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
  }
}
