/**
 * Deadlines held while probes fail, through the sweep: a job whose output probe (or executor status) keeps
 * failing is held with a growing delay — its nextCheckAt moves past now, so it leaves the sweep's due query and
 * other due jobs go on being processed — and fails EVIDENCE_UNAVAILABLE after the policy's probe-failure grace;
 * a probe that recovers in time gives the normal outcome. The failing probes are probe objects wrapping the
 * real ones (GCS in fake-gcs-server, a scripted executor); jobs live in the Firestore emulator. Time is moved.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../shared/src/auth/principal.js';
import { createExternalExecutor } from '../../shared/src/evidence/executors/external.js';
import type { Executor } from '../../shared/src/evidence/executors/types.js';
import type { OutputProbe } from '../../shared/src/evidence/outputs.js';
import type { Sweeper } from '../../shared/src/reconcile/sweep.js';
import { otherReconciler, otherSweeper, testRuntime, type TestRuntime } from '../helpers/runtime.js';

const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
const S = 1000;

/** The real GCS probe, except that URIs containing "/broken/" fail while `down` is set. */
function flakyProbe(real: OutputProbe): OutputProbe & { down: boolean } {
  const p = {
    down: true,
    async probe(uris: readonly string[]) {
      const broken = p.down ? uris.filter((u) => u.includes('/broken/')) : [];
      const res = await real.probe(uris.filter((u) => !broken.includes(u)));
      const errors = [...res.errors, ...broken.map((u) => `${u}: 503 Service Unavailable`)];
      return { observations: res.observations, complete: errors.length === 0, errors };
    },
  };
  return p;
}

/** Executions that run until `ended` names them (a stop is not obeyed); status fails for those in `unreachable`. */
function unreachableExecutor(): Executor & { unreachable: Set<string>; ended: Set<string> } {
  const unreachable = new Set<string>();
  const ended = new Set<string>();
  return {
    kind: 'local-process',
    unreachable,
    ended,
    async start(job) {
      return { executionRef: `local:${job.id}:${job.attempt}` };
    },
    async status(executionRef) {
      if (unreachable.has(executionRef)) throw new Error('status API: 503');
      return { executionRef, state: ended.has(executionRef) ? 'canceled' : 'running' };
    },
    async cancel() {},
  };
}

let rt: TestRuntime;
let probe: ReturnType<typeof flakyProbe>;
let sweeper: Sweeper;
const exec = unreachableExecutor();

before(async () => {
  rt = await testRuntime('holds', { executors: { external: createExternalExecutor(), 'local-process': exec } });
  probe = flakyProbe(rt.probe);
  sweeper = otherSweeper(rt, { reconciler: otherReconciler(rt, { probe }) });
});
after(async () => {
  await rt.db.terminate();
});

const enqueue = async (body: Record<string, unknown>) =>
  (await rt.jobs.enqueue(alice, { reuseExistingOutputs: true, ...body } as never)).job;
const uri = (dir: 'ok' | 'broken', name: string) => `gs://${rt.bucket}/u/alice/${dir}/${name}.mp4`;
const get = async (id: string) => (await rt.store.get(id))!;
const dueIds = async () => ((await sweeper.sweep({ dryRun: true })).due ?? []).map((d) => d.jobId);

describe('deadline holds while a probe fails', () => {
  it('an always-failing output probe: held with growing delays, other due jobs swept, EVIDENCE_UNAVAILABLE after the grace', async () => {
    probe.down = true;
    const held = await enqueue({
      type: 'external',
      outputs: [uri('broken', 'h1')],
      policy: { queueTimeoutSeconds: 30 },
    });
    rt.testClock.advance(31 * S);
    const first = await sweeper.sweep();
    assert.equal(first.checked, 1);
    const since = rt.testClock.now();
    const delays: number[] = [];
    let others = 0;
    for (let round = 0; round < 12; round++) {
      const job = await get(held.id);
      if (job.status !== 'queued') break;
      assert.ok(job.nextCheckAt! > rt.testClock.now(), 'a held job is not due: it left the sweep query');
      assert.deepEqual(await dueIds(), [], 'nothing due between held checks');
      delays.push((job.nextCheckAt! - rt.testClock.now()) / S);
      // another job falls due at the same moment as the held one's next check: the same sweep processes both
      const other = await enqueue({
        type: 'external',
        outputs: [uri('ok', `o${round}`)],
        // its late-output check (an output grace after it fails) falls after this test's 15 minutes
        policy: { queueTimeoutSeconds: 1, outputGraceSeconds: 3600 },
      });
      rt.testClock.advance(job.nextCheckAt! - rt.testClock.now());
      const r = await sweeper.sweep();
      assert.equal(r.checked, 2, `round ${round}: the held job and the other due job`);
      assert.equal((await get(other.id)).statusReason, 'QUEUE_TIMEOUT');
      others++;
    }
    assert.deepEqual(
      delays,
      [30, 60, 120, 240, 300, 150],
      'doubling from 30 s, at most 5 min, the last check at the end of the grace',
    );
    assert.equal(others, 6);
    const failed = await get(held.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.statusReason, 'EVIDENCE_UNAVAILABLE');
    assert.equal(rt.testClock.now() - since, 15 * 60 * S, 'the default probe-failure grace');
    const last = (await rt.store.history(held.id)).at(-1)!;
    assert.equal(last.evidence.deadline, 'QUEUE_TIMEOUT');
    assert.match(String((last.evidence.probeErrors as string[])[0]), /503/);
  });

  it('a probe that recovers within the grace: the normal outcome (the output is there: OUTPUT_FOUND)', async () => {
    probe.down = true;
    const j = await enqueue({ type: 'external', outputs: [uri('broken', 'h2')], policy: { queueTimeoutSeconds: 30 } });
    rt.testClock.advance(31 * S);
    await sweeper.sweep();
    await rt.storage.bucket(rt.bucket).file('u/alice/broken/h2.mp4').save('v');
    let job = await get(j.id);
    rt.testClock.advance(job.nextCheckAt! - rt.testClock.now());
    await sweeper.sweep(); // still down: held again
    job = await get(j.id);
    assert.equal(job.status, 'queued');
    assert.equal(job.probeHold?.count, 2);
    probe.down = false;
    rt.testClock.advance(job.nextCheckAt! - rt.testClock.now());
    const r = await sweeper.sweep();
    assert.equal(r.outcomes.OUTPUT_FOUND, 1);
    const done = await get(j.id);
    assert.equal(done.statusReason, 'OUTPUT_FOUND');
    assert.equal(done.probeHold, null);
  });

  it('a probe that recovers with nothing better: the deadline fires as usual', async () => {
    probe.down = true;
    const j = await enqueue({ type: 'external', outputs: [uri('broken', 'h3')], policy: { queueTimeoutSeconds: 30 } });
    rt.testClock.advance(31 * S);
    await sweeper.sweep();
    probe.down = false;
    rt.testClock.advance(30 * S);
    await sweeper.sweep();
    assert.equal((await get(j.id)).statusReason, 'QUEUE_TIMEOUT');
  });

  it('an executor status that always fails: the heartbeat deadline is held, then EVIDENCE_UNAVAILABLE', async () => {
    const j = await enqueue({
      type: 'demo-render',
      outputs: [],
      policy: { heartbeatTimeoutSeconds: 20, maxAttempts: 1 },
    });
    await rt.jobs.report(null, { jobId: j.id, kind: 'started' });
    exec.unreachable.add(`local:${j.id}:1`);
    rt.testClock.advance(21 * S);
    await sweeper.sweep();
    const held = await get(j.id);
    assert.equal(held.status, 'running');
    assert.equal(held.nextCheckAt, rt.testClock.now() + 30 * S);
    for (let i = 0; i < 10 && (await get(j.id)).status === 'running'; i++) {
      rt.testClock.advance((await get(j.id)).nextCheckAt! - rt.testClock.now());
      await sweeper.sweep();
    }
    const failed = await get(j.id);
    assert.equal(failed.statusReason, 'EVIDENCE_UNAVAILABLE');
    const last = (await rt.store.history(j.id)).at(-1)!;
    assert.equal(last.evidence.deadline, 'HEARTBEAT_TIMEOUT');
    assert.match(String((last.evidence.probeErrors as string[])[0]), /status API: 503/);
  });

  it("a failed job's late-output check waits for the execution told to stop to end: what it wrote by then counts", async () => {
    const out = uri('ok', 'still-running');
    const j = await enqueue({
      type: 'demo-render',
      outputs: [out],
      policy: { heartbeatTimeoutSeconds: 20, maxAttempts: 1, outputGraceSeconds: 20 },
    });
    await rt.jobs.report(null, { jobId: j.id, kind: 'started' });
    rt.testClock.advance(21 * S);
    await sweeper.sweep();
    assert.equal((await get(j.id)).statusReason, 'HEARTBEAT_TIMEOUT');
    rt.testClock.advance(21 * S); // the late-output check: nothing yet, and the execution still runs
    await sweeper.sweep();
    const held = await get(j.id);
    assert.equal(held.status, 'failed');
    assert.equal(held.probeHold?.count, 1, 'held, not given up');
    assert.equal(held.nextCheckAt, rt.testClock.now() + 30 * S);
    await rt.storage
      .bucket(rt.bucket)
      .file(out.split(`${rt.bucket}/`)[1]!)
      .save('v'); // its notification is lost
    exec.ended.add(`local:${j.id}:1`);
    rt.testClock.advance(30 * S);
    await sweeper.sweep();
    const done = await get(j.id);
    assert.equal(done.statusReason, 'LATE_OUTPUT');
    assert.equal(done.nextCheckAt, null);
  });
});
