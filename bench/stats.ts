/** Percentiles as every part of the bench reads them: the sample at rank ⌊p/100 · n⌋ of the sorted samples. */
export function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

export const median = (xs: readonly number[]): number => pct(xs, 50);

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes on one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();
