/** Bounded parallelism and timeouts for probes. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const CUT = Symbol('cut');

/** The promise's value, or CUT if `ms` passes first (the promise runs on, bounded by its own timeout). */
export async function within<T>(p: Promise<T>, ms: number | undefined): Promise<T | typeof CUT> {
  if (ms === undefined) return p;
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<typeof CUT>((r) => (timer = setTimeout(() => r(CUT), ms)));
  try {
    return await Promise.race([p, cut]);
  } finally {
    clearTimeout(timer);
  }
}
