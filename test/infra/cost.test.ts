/**
 * What a job costs, measured: typical lifecycles run through every deploy unit as deployed (HTTP and
 * Pub/Sub push bodies into functions-framework), on the emulators, with the meter (test/helpers/meter.ts)
 * counting billed operations per unit (the stage: ./cost-harness.ts). The measurement renders docs/deploy.md's
 * cost section (infra/deploy/cost.ts); the test fails when the committed section is not what the code does now.
 * `VERITY_WRITE_DOCS=1 npm test -- cost` rewrites it.
 *
 * Each measurement runs once, when a test first needs it, on what it sets up itself: every test passes alone
 * (`npm test -- infra/cost --test-name-pattern=…`), and the docs test, alone, measures everything.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEPLOY_UNITS } from '../../functions/units.js';
import {
  LIST_LIMIT_MEASURED,
  renderScaleCost,
  replaceCostSection,
  renderCostSection,
  SCALE_MARKERS,
  type Measured,
  type Measurement,
} from '../../infra/deploy/cost.js';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { startCostHarness, type CostHarness } from './cost-harness.js';

const DOC = path.join(REPO_ROOT, 'docs/deploy.md');
const SCALE_DOC = path.join(REPO_ROOT, 'docs/scale.md');

let h: CostHarness;
before(async () => {
  h = await startCostHarness();
});
after(() => h?.close());

/** The first call runs `f`; every call gets its result. */
const once = <T>(f: () => Promise<T>): (() => Promise<T>) => {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
};
/** A measured lifecycle and the job it ran. */
type Lifecycle = { m: Measurement; id: string };
const lifecycle = (scenario: () => Promise<string>): (() => Promise<Lifecycle>) =>
  once(async () => {
    let id = '';
    const m = await h.measure(async () => {
      id = await scenario();
    });
    return { m, id };
  });

const render = lifecycle(() => h.renderJob());

const provider = lifecycle(async () => {
  const id = await h.enqueue('narration', { text: 'hello' });
  const ext = (await h.executionOf(id)).split(':').at(-1)!;
  await h.writeObject(`provider/${ext}_output_0.mp4`);
  h.provider.status.set(ext, 'succeeded');
  await h.webhook({ eventId: `evt-${ext}`, externalJobId: ext, status: 'succeeded' });
  return id;
});

const silentHour = once(() => h.measure(async () => void (await h.silentHour())));

const strayObject = once(() => h.measure(() => h.writeObject(`tmp/job_other/${h.fresh('frame')}.png`)));

const recovered = lifecycle(async () => {
  const id = await h.renderJob({ silent: true });
  assert.equal(await h.statusOf(id), 'queued', 'nothing told Verity');
  await h.passDeadline(id);
  const r = await h.sweep();
  assert.deepEqual([r.checked, r.corrected], [1, 1]);
  return id;
});

const retried = lifecycle(async () => {
  const id = await h.enqueue('render', { scene: 2 });
  await h.report(id, { attempt: 1, kind: 'started' });
  await h.report(id, {
    attempt: 1,
    kind: 'failed',
    error: { code: 'TRANSIENT', message: 'node lost', retryable: true },
  });
  assert.equal((await h.rt.store.get(id))!.attempt, 2);
  await h.passDeadline(id);
  await h.sweep();
  await h.report(id, { attempt: 2, kind: 'started' });
  await h.reportSteps(id, 2);
  await h.writeObject(`renders/${id}.mp4`);
  await h.report(id, { attempt: 2, kind: 'succeeded' });
  return id;
});

/**
 * What users and the scheduler add, on jobs of a user of its own (bob): LIST_LIMIT_MEASURED finished renders,
 * so that a read finds a finished job and a list page is full, whatever else ran before.
 */
const requests = once(async (): Promise<Pick<Measured, 'get' | 'getVerified' | 'list' | 'stats' | 'idleSweep'>> => {
  const bob = await h.tokenOf('bob');
  const ids: string[] = [];
  for (let i = 0; i < LIST_LIMIT_MEASURED; i++) ids.push(await h.renderJob({ bearer: bob }));
  for (const id of ids) assert.equal(await h.statusOf(id), 'succeeded');
  const id = ids.at(-1)!;
  return {
    get: await h.measure(async () => void (await h.call('api', 'GET', `/api/jobs/${id}`, undefined, bob))),
    getVerified: await h.measure(
      async () => void (await h.call('api', 'GET', `/api/jobs/${id}?verify=true`, undefined, bob)),
    ),
    list: await h.measure(async () => {
      const page = await h.call('api', 'GET', `/api/jobs?limit=${LIST_LIMIT_MEASURED}`, undefined, bob);
      assert.equal(page.jobs.length, LIST_LIMIT_MEASURED);
    }),
    stats: await h.measure(async () => {
      const s = await h.call('api', 'GET', '/api/stats/recoveries', undefined, bob);
      assert.ok(s.transitions > 0);
    }),
    idleSweep: await h.measure(async () => {
      const r = await h.sweep();
      assert.equal(r.checked, 0, 'nothing is due');
    }),
  };
});

/** Everything docs/deploy.md states, measured in the order the tests below run. */
async function measured(): Promise<Measured> {
  return {
    render: (await render()).m,
    provider: (await provider()).m,
    strayObject: await strayObject(),
    recovered: (await recovered()).m,
    retried: (await retried()).m,
    silentHour: await silentHour(),
    ...(await requests()),
  };
}

describe('cost per job, measured', () => {
  it('a render on a Cloud Run Job: enqueue, started, 3 steps, output, succeeded', async () => {
    assert.equal(await h.statusOf((await render()).id), 'succeeded');
  });

  it('a narration on a third-party API: enqueue (submit), output notification, signed webhook', async () => {
    assert.equal(await h.statusOf((await provider()).id), 'succeeded');
  });

  it('an object no job declares (a temp file, a proxy): one notification', async () => {
    const m = await strayObject();
    assert.deepEqual(Object.keys(m.byUnit), ['object-finalized']);
    assert.equal(m.byUnit['object-finalized']!.invocations, 1);
    assert.equal(m.delivered, 1);
  });

  it('a render whose reports and notification are all lost, corrected by the sweep at its deadline', async () => {
    assert.equal(await h.statusOf((await recovered()).id), 'succeeded');
  });

  it('a render whose first attempt fails (retryable), restarted by the sweep after its backoff', async () => {
    assert.equal(await h.statusOf((await retried()).id), 'succeeded');
  });

  it('a silent job running an hour: the sweep looks at it by age, never failing it', async () => {
    const m = await silentHour();
    assert.equal(m.byUnit.sweep?.invocations, 60);
    // every minute at first, then doubling up to 10 minutes: a handful of looks, not 60
    const looks = m.cloudRunCalls.GetExecution ?? 0;
    assert.ok(looks >= 4 && looks <= 12, `${looks} looks at the execution`);
  });

  it('what users and the scheduler add: reads, lists, an idle sweep', async () => {
    const r = await requests();
    const invoked = (m: Measurement): Record<string, number> =>
      Object.fromEntries(Object.entries(m.byUnit).map(([unit, u]) => [unit, u.invocations]));
    assert.deepEqual(invoked(r.get), { api: 1 });
    assert.deepEqual(invoked(r.getVerified), { api: 1 });
    assert.deepEqual(invoked(r.list), { api: 1 });
    assert.deepEqual(invoked(r.stats), { api: 1 });
    assert.deepEqual(invoked(r.idleSweep), { sweep: 1 });
  });

  it('docs/deploy.md states what was measured', async () => {
    const m = await measured();
    for (const x of Object.values(m))
      for (const unit of Object.keys(x.byUnit))
        assert.ok(
          DEPLOY_UNITS.some((u) => u.name === unit),
          unit,
        );
    const doc = readFileSync(DOC, 'utf8');
    const updated = replaceCostSection(doc, renderCostSection(m));
    if (process.env.VERITY_WRITE_DOCS === '1') writeFileSync(DOC, updated);
    else if (doc !== updated) {
      process.stdout.write(`measured:\n${JSON.stringify(m, null, 1)}\n`);
      assert.equal(
        doc,
        updated,
        'docs/deploy.md cost section is out of date: run VERITY_WRITE_DOCS=1 npm test -- cost',
      );
    }
    // and the same day at a million jobs, in docs/scale.md
    const scale = readFileSync(SCALE_DOC, 'utf8');
    const scaled = replaceCostSection(scale, renderScaleCost(m), ...SCALE_MARKERS);
    if (process.env.VERITY_WRITE_DOCS === '1') writeFileSync(SCALE_DOC, scaled);
    else assert.equal(scale, scaled, 'docs/scale.md cost is out of date: run VERITY_WRITE_DOCS=1 npm test -- cost');
  });
});
