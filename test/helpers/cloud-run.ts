/** A test runtime on the local Cloud Run v2 fake, and executions started there by someone other than Verity. */
import { createCloudRunClients } from '../../shared/src/evidence/executors/cloud-run-job.js';
import { startFakeCloudRun, type FakeCloudRun } from '../fakes/cloud-run-server.js';
import { testRuntime, type TestRuntime } from './runtime.js';

/** The fake with `job` registered, and a runtime whose types (VERITY_JOB_TYPES) run on it. */
export async function cloudRunRuntime(
  name: string,
  job: string,
  types: Record<string, unknown>,
): Promise<{ fake: FakeCloudRun; rt: TestRuntime }> {
  const fake = await startFakeCloudRun({ port: 0 });
  fake.addJob(job);
  const rt = await testRuntime(name, {
    envOverrides: { VERITY_CLOUD_RUN_ENDPOINT: fake.endpoint, VERITY_JOB_TYPES: JSON.stringify(types) },
  });
  return { fake, rt };
}

/** An execution of `job` the app started (RunJob with the real client, not through Verity), running: its name. */
export async function startedElsewhere(fake: FakeCloudRun, job: string): Promise<string> {
  const [op] = await createCloudRunClients({ endpoint: fake.endpoint }).jobsClient.runJob({ name: job });
  const name = String((op.metadata as { name?: string } | undefined)?.name ?? [...fake.executions.keys()].at(-1));
  fake.begin(name);
  return name;
}
