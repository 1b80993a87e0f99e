/** A job's life recorded in memory the way JobStore records it (for replay and the soak's checks). */
import {
  createJob,
  decide,
  isRejection,
  patchFieldsOf,
  type Job,
  type JobEvent,
  type RecordedTransition,
} from '../../shared/src/core/index.js';
import { policy, T0 } from './jobs.js';

/** Records like JobStore: the created job, then per transition its event, prior patchable fields and draws. */
export function recorder(seed: number, id = 'job_r') {
  let x = seed;
  const rnd = () => (x = (x * 16807) % 2147483647) / 2147483647;
  const spec = {
    id,
    type: 'demo-render',
    ownerId: 'alice',
    resourceKey: null,
    idempotencyKey: null,
    input: { scene: 1 },
    outputUris: ['gs://b/u/alice/out.mp4'],
    reuseExistingOutputs: false,
    executorKind: 'external' as const,
    policy: policy({ maxAttempts: 4 }),
    stepPlan: [
      { name: 'render', weight: 3 },
      { name: 'mux', weight: 1 },
    ],
  };
  const first = createJob(spec, [], { now: T0, random: rnd });
  const { input: _, ...initial } = first.job;
  const history: RecordedTransition[] = [{ ...first.transition!, cause: { kind: 'created', initial, draws: [] } }];
  let job: Job = first.job;
  return {
    history,
    get job() {
      return job;
    },
    apply(event: JobEvent, now: number) {
      const draws: number[] = [];
      const d = decide(job, event, { now, random: () => (draws.push(rnd()), draws[draws.length - 1]!) });
      if (isRejection(d)) return;
      if (d.transition)
        history.push({ ...d.transition, cause: { kind: 'event', event, prior: patchFieldsOf(job), draws } });
      job = d.job;
    },
  };
}
