/**
 * Third-party callbacks (seeds 003/004): a signed webhook names the provider's job; Verity maps it to its job
 * through the execution reference `http:{provider}:{externalJobId}` and records it as evidence. The webhook
 * is a hint like any other: outputs are still verified, and a lost webhook is made up for by status polling
 * and the predicted output URI.
 */
import { z } from 'zod';
import { AuthError, ValidationError } from '../core/index.js';
import type { Logger } from '../log.js';
import type { Job, OutputName } from '../core/index.js';
import { reportedOutput } from '../evidence/output-templates.js';
import type { JobTypeRegistry } from '../config/job-types.js';
import type { JobStore } from '../store/job-store.js';
import { verifySignature } from '../webhooks/signature.js';
import { jsonShapeProblem } from '../json-limits.js';
import { validationProblems } from '../api-kit.js';
import { httpExecution } from '../evidence/executors/http-provider.js';
import type { Reconciler } from './reconciler.js';

export const WebhookBodySchema = z.object({
  eventId: z.string().min(1).max(200),
  externalJobId: z.string().min(1).max(200),
  /** `{jobId}:{attempt}` as Verity sent it on submit, when the provider echoes it. */
  clientRef: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}:\d{1,4}$/)
    .optional(),
  status: z.enum(['succeeded', 'failed']),
  outputUrl: z.string().max(2048).optional(),
  error: z.object({ code: z.string().max(100).optional(), message: z.string().max(2000).optional() }).optional(),
});

export class WebhooksService {
  constructor(
    private readonly deps: {
      jobs: JobStore;
      reconciler: Reconciler;
      registry: JobTypeRegistry;
      log: Logger;
      clock: () => number;
      secrets: Record<string, string>;
      /** Fills {bucket} in a provider type's output templates. */
      bucket: string;
      /** Why a URI lies outside the configured stores, or null (evidence/stores.ts). */
      outsideStores: (uri: string) => string | null;
    },
  ) {}

  /** Verifies and applies one delivery. Throws AuthError (401) before anything is read or written. */
  async receive(
    provider: string,
    rawBody: Buffer,
    signature: string | undefined,
  ): Promise<{ outcome: string; jobId: string | null; outputUrl?: 'accepted' | 'ignored' }> {
    const secret = Object.hasOwn(this.deps.secrets, provider) ? this.deps.secrets[provider] : undefined;
    if (!secret) throw new AuthError(`unknown webhook provider "${provider}"`);
    const check = verifySignature(secret, rawBody, signature, this.deps.clock());
    if (!check.ok) throw new AuthError(`webhook signature ${check.reason}`);
    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new ValidationError('webhook body is not JSON');
    }
    const shape = jsonShapeProblem(json);
    if (shape) throw new ValidationError('invalid webhook body', [shape]);
    const parsed = WebhookBodySchema.safeParse(json);
    if (!parsed.success) throw new ValidationError('invalid webhook body', validationProblems(parsed.error.issues));
    const body = parsed.data;
    const ref = `http:${provider}:${body.externalJobId}`;
    const job = await this.findJob(provider, ref, body.clientRef);
    if (!job) {
      this.deps.log.warn(
        { provider, externalJobId: body.externalJobId, eventId: body.eventId },
        'webhook for no known job; acknowledged (the sweep asks the provider later)',
      );
      return { outcome: 'unknown_job', jobId: null };
    }
    const attempt = body.clientRef ? Number(body.clientRef.split(':')[1]) : job.executor.attempt;
    if (job.executor.executionRef === null) await this.recordDispatch(job, provider, body.externalJobId, attempt);
    const named = body.outputUrl && body.status === 'succeeded' ? this.outputName(job, body, body.outputUrl) : null;
    const res = await this.deps.reconciler.commit(
      job.id,
      {
        kind: 'worker',
        source: 'webhook',
        ...(named ? { outputNames: [named] } : {}),
        report:
          body.status === 'succeeded'
            ? { kind: 'succeeded', attempt }
            : {
                kind: 'failed',
                attempt,
                error: {
                  code: body.error?.code ?? 'PROVIDER_FAILED',
                  message: body.error?.message ?? 'the provider reported a failure',
                },
              },
      },
      { dedupeKey: `webhook:${provider}:${body.eventId}` },
    );
    const url = body.outputUrl && body.status === 'succeeded' ? { outputUrl: named ? 'accepted' : 'ignored' } : {};
    return { outcome: res.outcome, jobId: job.id, ...(url as { outputUrl?: 'accepted' | 'ignored' }) };
  }

  /**
   * The output a webhook's outputUrl names, when it matches the `reported` pattern of one of the type's output
   * declarations (filled with this execution's values) and lies in a configured store: one more name Verity
   * looks for — a probe still decides whether it is there. Anything else is ignored, and logged.
   */
  private outputName(job: Job, body: { externalJobId: string }, url: string): OutputName | null {
    const type = this.deps.registry.get(job.type);
    if (type?.executor.kind !== 'http') return null;
    const values = { bucket: this.deps.bucket, jobId: job.id, externalJobId: body.externalJobId };
    const output = reportedOutput(type.executor.outputTemplates, values, url);
    const outside = output >= 0 ? this.deps.outsideStores(url) : null;
    if (output < 0 || outside !== null) {
      this.deps.log.warn(
        { jobId: job.id, outputUrl: url, why: outside ?? 'matches no declared pattern' },
        'webhook outputUrl ignored',
      );
      return null;
    }
    return { output, uri: url };
  }

  /**
   * A webhook that beats the record of its submit (found by clientRef) proves the execution: it is recorded
   * first, with the outputs the type's templates name for it, so a success waits for those outputs as it would
   * had the submit's answer come first — never a success with no outputs to check (the soak, issue 26).
   */
  private async recordDispatch(job: Job, provider: string, externalJobId: string, attempt: number): Promise<void> {
    const type = this.deps.registry.get(job.type);
    if (type?.executor.kind !== 'http') return;
    const execution = httpExecution(type.executor, this.deps.bucket, job.id, externalJobId);
    if ('bad' in execution) {
      this.deps.log.warn({ jobId: job.id, provider, externalJobId }, 'webhook names an unusable execution');
      return;
    }
    await this.deps.reconciler.commit(job.id, { kind: 'dispatched', source: 'webhook', attempt, ...execution });
  }

  /**
   * The job by its execution reference; or, when the provider echoes the clientRef, by id — a webhook may
   * beat the commit that records the reference. A clientRef naming a job of another provider's execution
   * is not trusted.
   */
  private async findJob(provider: string, ref: string, clientRef: string | undefined): Promise<Job | null> {
    const found = await this.deps.jobs.byExecutionRef(ref);
    if (found) return found;
    if (!clientRef) return null;
    const job = await this.deps.jobs.get(clientRef.split(':')[0]!);
    if (!job) return null;
    const type = this.deps.registry.get(job.type);
    const ofProvider = type?.executor.kind === 'http' && type.executor.provider === provider;
    return ofProvider && (job.executor.executionRef === null || job.executor.executionRef === ref) ? job : null;
  }
}
