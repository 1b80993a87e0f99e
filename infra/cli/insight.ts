/** `verity explain <jobId>` and `verity stats`: the insight routes for an operator, as text or JSON. */
import { STATS_WINDOWS } from '../../shared/src/core/index.js';
import { StatsQuerySchema } from '../../shared/src/schemas.js';
import type { Principal } from '../../shared/src/auth/principal.js';
import type { Runtime } from '../../shared/src/runtime.js';
import { diagnosisView } from '../../shared/src/views.js';
import { table } from './format.js';

/** The operator sees every owner's jobs, as an admin does through the API. */
export const OPERATOR: Principal = { userId: 'verity-cli', admin: true, workerJobId: null };

export async function explain(rt: Runtime, id: string, json: boolean): Promise<string> {
  const d = diagnosisView(await rt.jobs.diagnosis(OPERATOR, id));
  if (json) return `${JSON.stringify(d, null, 2)}\n`;
  const cause = d.cause as { code: string; explanation: string };
  const next = d.nextDeadline as { kind: string; at: string; then: string } | null;
  const lines = [
    `${d.jobId}  ${String(d.status)}  ${cause.code}`,
    '',
    String(d.summary),
    '',
    cause.explanation,
    '',
    ...((d.waitingFor as string[]).length > 0 ? [`waiting for: ${(d.waitingFor as string[]).join('; ')}`] : []),
    `next deadline: ${next ? `${next.kind} at ${next.at}: ${next.then}` : 'none'}`,
    '',
    table(d.evidence as Record<string, unknown>[], ['kind', 'seen', 'at', 'detail']).trimEnd(),
    '',
    ...(d.actions as { action: string; why: string }[]).map((a) => `→ ${a.action}: ${a.why}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** `verity stats [--window 24h]`: what recovered what (GET /api/stats/recoveries) for every owner. */
export async function stats(rt: Runtime, window: string | undefined, json: boolean): Promise<string> {
  const q = StatsQuerySchema.safeParse({ window });
  if (!q.success) throw new Error(`--window must be one of ${Object.keys(STATS_WINDOWS).join(', ')}`);
  const s = await rt.stats.recoveries(OPERATOR, q.data.window);
  if (json) return `${JSON.stringify(s, null, 2)}\n`;
  const rows = (o: Record<string, number>, key: string): Record<string, unknown>[] =>
    Object.entries(o)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => ({ [key]: k, transitions: n }));
  const r = s.recovered;
  return [
    `last ${s.window} (since ${s.since}): ${s.transitions} transitions; ${r.count} recovered, ` +
      `time to recover p50 ${r.secondsToRecover.p50 ?? '-'} s, p99 ${r.secondsToRecover.p99 ?? '-'} s`,
    '',
    table(rows(s.bySource, 'source'), ['source', 'transitions']).trimEnd(),
    '',
    table(rows(s.byReason, 'reason'), ['reason', 'transitions']).trimEnd(),
    '',
    table(
      Object.entries(s.byType).map(([type, t]) => ({ type, ...t })),
      ['type', 'succeeded', 'failed', 'canceled', 'failureRate'],
    ).trimEnd(),
    '',
    `avoided: ${s.avoided.outputsAlreadyPresent} jobs whose outputs existed, ${s.avoided.artifactsNotRegenerated} ` +
      `project artifacts not generated again, ${s.avoided.stepsSkipped} steps skipped`,
    '',
  ].join('\n');
}
