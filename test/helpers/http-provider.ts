/** Job types and jobs for the http executor's tests (test/integration/http-provider, test/unit/http-provider-*). */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createJob, type Job } from '../../shared/src/core/index.js';
import { parseEnv } from '../../shared/src/config/env.js';
import { buildRegistry, type JobType } from '../../shared/src/config/job-types.js';
import { ctx, jobSpec } from './jobs.js';

/** The output template of every http type here: the provider writes one output named by its job id. */
export const OUTPUT = 'gs://{bucket}/provider/{externalJobId}_output_0.mp4';

/** A job type run by the http executor against `provider` at `baseUrl`. */
export const httpType = (provider: string, baseUrl: string) => ({
  executor: { kind: 'http', provider, baseUrl, outputTemplates: [OUTPUT] },
});

/** The job types of a cloud configuration (VERITY_JOB_TYPES = `jobTypes`, VERITY_BUCKET = `bucket`), by name. */
export function registeredTypes(
  bucket: string,
  jobTypes: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
): Map<string, JobType> {
  const registry = buildRegistry(
    parseEnv({ ...env, VERITY_PROFILE: 'cloud', VERITY_BUCKET: bucket, VERITY_JOB_TYPES: JSON.stringify(jobTypes) }),
  );
  return new Map(registry.names().map((n) => [n, registry.get(n)!]));
}

export function typeIn(types: ReadonlyMap<string, JobType>, name: string): JobType {
  const t = types.get(name);
  assert.ok(t, `type ${name}`);
  return t;
}

/** A new job of a registered type (a fresh id, outputs left to the executor), at `attempt`. */
export function jobOf(
  types: ReadonlyMap<string, JobType>,
  typeName: string,
  input: Record<string, unknown> = {},
  attempt = 1,
): Job {
  const t = typeIn(types, typeName);
  const j = createJob(
    jobSpec({
      id: `job_${randomBytes(4).toString('hex')}`,
      type: typeName,
      input,
      reuseExistingOutputs: false,
      executorKind: 'http',
      policy: t.policy,
    }),
    [],
    ctx(Date.now()),
  ).job;
  return { ...j, attempt };
}
