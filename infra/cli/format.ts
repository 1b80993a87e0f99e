/** Human output for the CLI: aligned tables, a progress bar on a terminal. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown): string =>
    v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]): string =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return (
    [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n') +
    '\n'
  );
}

/** A progress line on stderr when it is a terminal (never in --json or piped output). */
export function progress(label: string, enabled: boolean): { update(done: number, total?: number): void; end(): void } {
  const tty = enabled && process.stderr.isTTY === true;
  let last = 0;
  return {
    update(done, total) {
      if (!tty || Date.now() - last < 80) return;
      last = Date.now();
      const bar = total
        ? `[${'#'.repeat(Math.round((20 * done) / Math.max(total, 1))).padEnd(20)}] ${done}/${total}`
        : `${done}`;
      process.stderr.write(`\r${label} ${bar}`);
    },
    end() {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}

export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: "${text}" (e.g. 90s, 30m, 24h, 2d)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
