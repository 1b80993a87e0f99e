/** The pricing of infra/deploy/cost.ts on made-up measurements: free tiers, marginal sweeps, the mix. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY, PRICES } from '../../infra/deploy/cost-model.js';
import {
  dailyModel,
  emptyUsage,
  replaceCostSection,
  type Measured,
  type Measurement,
  type Usage,
} from '../../infra/deploy/cost.js';

const measurement = (byUnit: Record<string, Partial<Usage>> = {}, extra: Partial<Measurement> = {}): Measurement => ({
  byUnit: Object.fromEntries(Object.entries(byUnit).map(([u, x]) => [u, { ...emptyUsage(), ...x }])),
  ttlDocuments: 0,
  cloudRunCalls: {},
  delivered: 0,
  deliveredBytes: 0,
  ...extra,
});

function measured(over: Partial<Measured> = {}): Measured {
  const none = measurement();
  // a retried job is priced as what it does beyond a render: by default, nothing
  return {
    render: none,
    provider: none,
    recovered: none,
    retried: over.render ?? none,
    silentHour: none,
    strayObject: none,
    get: none,
    getVerified: none,
    list: measurement({ api: { invocations: 1, reads: 4 } }),
    stats: measurement({ api: { invocations: 1, reads: 30 } }),
    idleSweep: none,
    ...over,
  };
}
const line = (m: Measured, prefix: string): number =>
  dailyModel(m).lines.find((l) => l.item.startsWith(prefix))!.monthly;

describe('cost model', () => {
  it('nothing but the scheduler costs money when every count is inside the free tiers', () => {
    const model = dailyModel(measured());
    const paid = model.lines.filter((l) => l.monthly > 0).map((l) => l.item);
    assert.deepEqual(paid, ['Cloud Scheduler (one job)']);
  });

  it('reads are priced beyond 50k a day, per month', () => {
    const m = measured({ render: measurement({ api: { invocations: 1, reads: 10 } }) });
    const readsPerDay = DAY.jobs * DAY.render * 10 + DAY.listPagesPerDay * DAY.listPageSize;
    const expected = (readsPerDay - PRICES.firestoreFreeReadsPerDay) * DAY.daysPerMonth * PRICES.firestoreRead;
    assert.ok(
      Math.abs(line(m, 'Firestore document reads') - expected) < 1e-9,
      `${line(m, 'Firestore document reads')} vs ${expected}`,
    );
  });

  it('a sweep run that corrects a job costs only what it does beyond an idle run', () => {
    const idleSweep = measurement({ sweep: { invocations: 1, reads: 2 } });
    const recovered = measurement({ sweep: { invocations: 1, reads: 2 } });
    const a = dailyModel(measured({ idleSweep, recovered })).perDay;
    const b = dailyModel(measured({ idleSweep })).perDay;
    assert.equal(a.reads, b.reads, 'a run that did nothing extra adds nothing');
    assert.equal(a.invocations, b.invocations);
  });

  it('a retried job adds what it does beyond a render', () => {
    const render = measurement({ api: { invocations: 1, writes: 5 } });
    const retried = measurement({ api: { invocations: 1, writes: 9 } });
    const a = dailyModel(measured({ render, retried })).perDay.writes;
    const b = dailyModel(measured({ render })).perDay.writes;
    assert.equal(a - b, DAY.jobs * DAY.retriedShare * 4);
  });

  it('the cost section is replaced between its markers, and a document without them is refused', () => {
    const begin =
      '<!-- cost:begin (rendered by test/infra/cost.test.ts from measured operations; do not edit by hand) -->';
    const doc = `# T\n\n${begin}\nold\n<!-- cost:end -->\n\nafter\n`;
    assert.equal(replaceCostSection(doc, 'new'), `# T\n\n${begin}\nnew\n<!-- cost:end -->\n\nafter\n`);
    assert.throws(() => replaceCostSection('# T\n', 'new'), /no cost section markers/);
  });
});
