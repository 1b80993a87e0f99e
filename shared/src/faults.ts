/**
 * The fault seam: named points where a fault soak (infra/soak/) may SIGKILL the process, as the cloud kills
 * an instance at any instruction. Inert unless VERITY_FAULTS holds a plan, read and parsed (zod) once, at
 * import: without one, `faultPoint` is a constant no-op. The logic never asks whether faults are enabled.
 *
 *   VERITY_FAULTS={"seed":7,"points":{"after-commit":0.01},"log":"/tmp/faults.jsonl","label":"api#2"}
 *
 * Each point is hit with its probability, drawn from a PRNG seeded by `seed` (the same plan draws the same
 * sequence); before the kill one JSON line {point, jobId, label, pid, at} is appended to `log`, so the soak counts it.
 */
import { appendFileSync } from 'node:fs';
import { z } from 'zod';

export const FAULT_POINTS = [
  /** A transition is committed; its event, effects and reactions have not run. */
  'after-commit',
  /** An effect happened (an execution started); its record (the `dispatched` commit) has not been made. */
  'after-effect',
  /** Pub/Sub accepted an event; its outbox entry is not marked published. */
  'mid-publish',
  /** The sweep is between two jobs. */
  'mid-sweep',
] as const;
export type FaultPointName = (typeof FAULT_POINTS)[number];

export const FaultPlanSchema = z
  .object({
    seed: z.number().int(),
    points: z.partialRecord(z.enum(FAULT_POINTS), z.number().min(0).max(1)),
    log: z.string().min(1).optional(),
    label: z.string().max(100).optional(),
  })
  .strict();
export type FaultPlan = z.infer<typeof FaultPlanSchema>;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Parses a plan (undefined or empty: none). Throws on a malformed one, naming the variable. */
export function parseFaultPlan(raw: string | undefined): FaultPlan | null {
  if (raw === undefined || raw.trim() === '') return null;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('VERITY_FAULTS is not JSON');
  }
  const parsed = FaultPlanSchema.safeParse(json);
  if (!parsed.success) throw new Error(`VERITY_FAULTS: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/** The point function of a plan: kills this process (SIGKILL) when the plan's draw says so. */
export function armFaults(plan: FaultPlan | null, kill: () => void = () => process.kill(process.pid, 'SIGKILL')) {
  if (!plan) return (_point: FaultPointName, _jobId?: string): void => undefined;
  const random = seededRandom(plan.seed);
  return (point: FaultPointName, jobId?: string): void => {
    const p = plan.points[point];
    if (p === undefined || random() >= p) return;
    if (plan.log) {
      const line = { point, jobId: jobId ?? null, label: plan.label ?? null, pid: process.pid, at: Date.now() };
      appendFileSync(plan.log, `${JSON.stringify(line)}\n`);
    }
    kill();
  };
}

/** Called at each named point of the logic (with the job it is about); a no-op unless VERITY_FAULTS names a plan. */
export const faultPoint: (point: FaultPointName, jobId?: string) => void = armFaults(
  parseFaultPlan(process.env.VERITY_FAULTS),
);
