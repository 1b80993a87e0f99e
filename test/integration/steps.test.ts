/**
 * The worker SDK's step API on fake-gcs-server (issue 17): a crash at step 3 of 4 resumes at step 3 (the steps
 * counted as they run), a torn or corrupted checkpoint is not trusted, two attempts racing on a step end with one
 * checkpoint and the same result, and a step a checkpoint proves done is never run again. Both object clients.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Checkpoints, restObjectIO, storageObjectIO, type ObjectIO } from '../../shared/src/worker/checkpoints.js';
import type { ProgressReport } from '../../shared/src/worker/reporter.js';
import { createSteps } from '../../shared/src/worker/steps.js';
import { requireEmulators, testRuntime, uniqueName, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
before(async () => {
  rt = await testRuntime('steps');
});
after(async () => {
  await rt.db.terminate();
});

const STEPS = ['fetch', 'render', 'mix', 'encode'];

/** One attempt of a 4-step worker: counts each step's side effect; `crashAt` throws there as a dying process would. */
async function attempt(io: ObjectIO, prefix: string, n: number, sideEffects: Map<string, number>, crashAt?: string) {
  const reports: ProgressReport[] = [];
  const steps = createSteps({
    reporter: { reportProgress: async (p) => void reports.push(p) },
    attempt: n,
    checkpoints: new Checkpoints(io, prefix),
  });
  const results: unknown[] = [];
  for (const name of STEPS) {
    results.push(
      await steps.run(name, async () => {
        if (name === crashAt) throw new Error('the process died');
        sideEffects.set(name, (sideEffects.get(name) ?? 0) + 1);
        return { name, attempt: n };
      }),
    );
  }
  return { ran: [...steps.ran], skipped: [...steps.skipped], reports, results };
}

for (const [label, io] of [
  ['the JSON API over fetch', () => restObjectIO(requireEmulators().gcs)],
  ['the Storage client', () => storageObjectIO(rt.storage)],
] as const) {
  describe(`steps and checkpoints (${label})`, () => {
    const prefix = () => `gs://${rt.bucket}/ckpt/${uniqueName('job')}/`;

    it('a crash at step 3 of 4: the next attempt runs steps 3 and 4 only, and reports 1 and 2 skipped', async () => {
      const p = prefix();
      const effects = new Map<string, number>();
      await assert.rejects(attempt(io(), p, 1, effects, 'mix'), /the process died/);
      assert.deepEqual([...effects.keys()], ['fetch', 'render']);
      const second = await attempt(io(), p, 2, effects);
      assert.deepEqual(second.ran, ['mix', 'encode']);
      assert.deepEqual(second.skipped, ['fetch', 'render']);
      assert.deepEqual(
        Object.fromEntries(effects),
        { fetch: 1, render: 1, mix: 1, encode: 1 },
        'each side effect once',
      );
      // the results of skipped steps are the recorded ones, of attempt 1
      assert.deepEqual(second.results, [
        { name: 'fetch', attempt: 1 },
        { name: 'render', attempt: 1 },
        { name: 'mix', attempt: 2 },
        { name: 'encode', attempt: 2 },
      ]);
      assert.deepEqual(second.reports.at(-1), { completedSteps: STEPS, skippedSteps: ['fetch', 'render'] });
      const manifest = JSON.parse((await io().read(`${p}render.json`))!.toString());
      assert.equal(manifest.attempt, 1);
      assert.equal(manifest.step, 'render');
    });

    it('a torn, corrupted or unreadable checkpoint is not trusted: the step runs again', async () => {
      for (const damage of [
        async (p: string) => {
          const m = JSON.parse((await io().read(`${p}render.json`))!.toString());
          await io().write(`${p}${m.object}`, Buffer.from('{"half'), { contentType: 'x' });
        },
        async (p: string) => void (await io().write(`${p}render.json`, Buffer.from('not json'), { contentType: 'x' })),
        async (p: string) => {
          const m = JSON.parse((await io().read(`${p}render.json`))!.toString());
          // the same size, other bytes: only the hash tells
          const other = Buffer.from(JSON.stringify({ name: 'RENDER', attempt: 1 }));
          assert.equal(other.length, m.size);
          await io().write(`${p}${m.object}`, other, { contentType: 'x' });
        },
      ]) {
        const p = prefix();
        const effects = new Map<string, number>();
        await attempt(io(), p, 1, effects);
        await damage(p);
        const again = await attempt(io(), p, 2, effects);
        assert.deepEqual(again.skipped, ['fetch', 'mix', 'encode']);
        assert.deepEqual(again.ran, ['render']);
        assert.equal(effects.get('render'), 2);
      }
    });

    it('two attempts racing on a step keep one checkpoint and go on from the same result; later ones skip it', async () => {
      const p = prefix();
      const cps = [1, 2].map(() => new Checkpoints(io(), p));
      let effects = 0;
      const run = (n: number) =>
        createSteps({ reporter: { reportProgress: async () => {} }, attempt: n, checkpoints: cps[n - 1]! }).run(
          'render',
          async () => {
            effects++;
            await new Promise((r) => setTimeout(r, 50));
            return { by: n };
          },
        );
      const [a, b] = await Promise.all([run(1), run(2)]);
      assert.deepEqual(a, b, 'both go on from the one checkpoint');
      const owner = JSON.parse((await io().read(`${p}render.json`))!.toString()).attempt;
      assert.deepEqual(a, { by: owner });
      const third = createSteps({ reporter: { reportProgress: async () => {} }, attempt: 3, checkpoints: cps[0]! });
      assert.deepEqual(await third.run('render', async () => assert.fail('a proven step runs again')), a);
      assert.ok(effects <= 2);
    });
  });
}
