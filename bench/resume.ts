/**
 * (g) Resume against restart: a 4-step job crashed at step 3. Each step does what a media step does — reads its
 * input object, works (`VERITY_BENCH_STEP_MS`, default 150 ms), writes its intermediate object — through the
 * worker SDK's step API on fake-gcs-server. The second attempt either resumes from the first's checkpoints
 * (steps 3 and 4 run, 1 and 2 are read back) or restarts from scratch — the same worker, nothing to resume
 * from (all four run, each checkpointed). Side by side, alternating,
 * several rounds; the medians of the second attempt's time and of its Cloud Storage operations (class A:
 * writes; class B: reads), counted at the object client, as ratios; and what checkpointing costs a run that does
 * not crash.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Checkpoints, restObjectIO, type ObjectIO } from '../shared/src/worker/checkpoints.js';
import { createSteps } from '../shared/src/worker/steps.js';

const STEPS = ['fetch', 'render', 'mix', 'encode'];

/** Counts the operations through an ObjectIO. */
function counted(io: ObjectIO): ObjectIO & { ops: { a: number; b: number } } {
  const ops = { a: 0, b: 0 };
  return {
    ops,
    read: (uri) => (ops.b++, io.read(uri)),
    write: (uri, data, opts) => (ops.a++, io.write(uri, data, opts)),
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchResume(gcsUrl: string, bucket: string, rounds: number) {
  const stepMs = Number(process.env.VERITY_BENCH_STEP_MS ?? 150);
  const payload = randomBytes(256 * 1024);
  const base = restObjectIO(gcsUrl);
  await fetch(`${gcsUrl}/storage/v1/b`, { method: 'POST', body: JSON.stringify({ name: bucket }) });

  /** One attempt: each step reads its input, works, writes its output; `crashAt` dies there. */
  async function attempt(job: string, n: number, ckpt: string | null, crashAt?: string) {
    const io = counted(base);
    const steps = createSteps({
      reporter: { reportProgress: async () => {} },
      attempt: n,
      checkpoints: ckpt === null ? null : new Checkpoints(io, `gs://${bucket}/ckpt/${ckpt}/`),
    });
    const t0 = performance.now();
    let input = `gs://${bucket}/in/${job}.bin`;
    try {
      for (const name of STEPS) {
        input = await steps.run(name, async () => {
          if (name === crashAt) throw new Error('crash');
          await io.read(input);
          await sleep(stepMs);
          const out = `gs://${bucket}/work/${job}/${name}.${n}.bin`;
          await io.write(out, payload, { contentType: 'application/octet-stream' });
          return out;
        });
      }
    } catch {
      /* the crash */
    }
    return { ms: performance.now() - t0, a: io.ops.a, b: io.ops.b, ran: steps.ran.length };
  }

  process.stdout.write(
    `(g) resume vs restart: 4 steps of ${stepMs} ms with 256 KiB in and out, crash at step 3, ${rounds} rounds…\n`,
  );
  const resume: { ms: number; ops: number }[] = [];
  const restart: { ms: number; ops: number }[] = [];
  const clean: { with: number; without: number; opsWith: number; opsWithout: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const resumed of r % 2 === 0 ? [true, false] : [false, true]) {
      const job = `bench-${r}-${resumed ? 'resume' : 'restart'}`;
      await base.write(`gs://${bucket}/in/${job}.bin`, payload, { contentType: 'application/octet-stream' });
      await attempt(job, 1, job, 'mix');
      // a restart: the same worker (checkpointing) with nothing to resume from
      const second = await attempt(job, 2, resumed ? job : `${job}-afresh`);
      if (second.ran !== (resumed ? 2 : 4)) throw new Error(`attempt 2 ran ${second.ran} steps`);
      (resumed ? resume : restart).push({ ms: second.ms, ops: second.a + second.b });
    }
    const job = `bench-${r}-clean`;
    await base.write(`gs://${bucket}/in/${job}.bin`, payload, { contentType: 'application/octet-stream' });
    const w = await attempt(job, 1, `${job}-w`);
    const wo = await attempt(job, 1, null);
    clean.push({ with: w.ms, without: wo.ms, opsWith: w.a + w.b, opsWithout: wo.a + wo.b });
  }
  const m = (xs: { ms: number; ops: number }[]) => ({
    ms: median(xs.map((x) => x.ms)),
    ops: median(xs.map((x) => x.ops)),
  });
  const res = m(resume);
  const rst = m(restart);
  return {
    resume: res,
    restart: rst,
    timeRatio: res.ms / rst.ms,
    opsRatio: res.ops / rst.ops,
    overheadTime: median(clean.map((c) => c.with / c.without)),
    overheadOps: median(clean.map((c) => c.opsWith / c.opsWithout)),
  };
}
