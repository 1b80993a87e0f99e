/**
 * The step API of the worker SDK: `steps.run(name, fn)` runs a step once across attempts. A step whose
 * checkpoint (checkpoints.ts) is whole is skipped — its recorded result returned, `skippedSteps` reported —
 * so an attempt after a crash, or a retry (which keeps its original's checkpoint prefix), starts from the first
 * step without one. A step that runs is reported as the current step, then checkpointed, then reported done.
 */
import { Checkpoints, restObjectIO, storageObjectIO } from './checkpoints.js';
import type { ProgressReport, WorkerReporter } from './reporter.js';

export interface StepRunner {
  /** Runs the step unless a checkpoint of it stands; its result (JSON) either way. */
  run<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Steps this attempt ran, and skipped, in order. */
  readonly ran: readonly string[];
  readonly skipped: readonly string[];
}

export interface StepsOptions {
  reporter: Pick<WorkerReporter, 'reportProgress'>;
  attempt: number;
  /** Null: no checkpoint prefix was given (every step runs, as without the step API). */
  checkpoints: Checkpoints | null;
  /** A report that fails is not fatal: Verity's deadlines and probes cover a lost report. */
  onReportError?: (err: unknown) => void;
}

export function createSteps(o: StepsOptions): StepRunner {
  const ran: string[] = [];
  const skipped: string[] = [];
  const completed: string[] = [];
  const report = async (p: ProgressReport): Promise<void> => {
    try {
      await o.reporter.reportProgress(p);
    } catch (err) {
      o.onReportError?.(err);
    }
  };
  const done = () => ({ completedSteps: [...completed], ...(skipped.length ? { skippedSteps: [...skipped] } : {}) });
  return {
    ran,
    skipped,
    async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
      const saved = await o.checkpoints?.load(name);
      if (saved) {
        skipped.push(name);
        completed.push(name);
        await report(done());
        return JSON.parse(saved.data.toString('utf8')) as T;
      }
      await report({ step: name, stepPct: 0, ...done() });
      const result: T = await fn();
      let out: T = result;
      if (o.checkpoints) {
        const kept = await o.checkpoints.save(name, o.attempt, Buffer.from(JSON.stringify(result ?? null)));
        // another attempt finished it first: go on from its result, as every later step of both will
        if (!kept.won) out = JSON.parse(kept.data.toString('utf8')) as T;
      }
      ran.push(name);
      completed.push(name);
      await report(done());
      return out;
    },
  };
}

/** The step runner of a worker started by Verity: VERITY_CHECKPOINT_PREFIX, VERITY_ATTEMPT, VERITY_GCS_ENDPOINT. */
export async function stepsFromEnv(
  reporter: Pick<WorkerReporter, 'reportProgress'>,
  env: NodeJS.ProcessEnv = process.env,
  onReportError?: (err: unknown) => void,
): Promise<StepRunner> {
  const prefix = env.VERITY_CHECKPOINT_PREFIX;
  const attempt = Number(env.VERITY_ATTEMPT ?? '1');
  let checkpoints: Checkpoints | null = null;
  if (prefix) {
    if (env.VERITY_GCS_ENDPOINT) checkpoints = new Checkpoints(restObjectIO(env.VERITY_GCS_ENDPOINT), prefix);
    else {
      const { Storage } = await import('@google-cloud/storage');
      checkpoints = new Checkpoints(storageObjectIO(new Storage({ projectId: env.GOOGLE_CLOUD_PROJECT })), prefix);
    }
  }
  return createSteps({ reporter, attempt, checkpoints, ...(onReportError ? { onReportError } : {}) });
}
