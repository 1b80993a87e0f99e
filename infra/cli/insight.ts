/** `verity explain <jobId>`: the diagnosis (GET /api/jobs/:id/diagnosis) for an operator, as text or JSON. */
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
