/** shared/src/faults.ts: the fault seam is inert without a plan, strict about a plan, and repeatable from its seed. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { armFaults, FAULT_POINTS, parseFaultPlan, seededRandom } from '../../shared/src/faults.js';

describe('fault seam', () => {
  it('no plan: every point is a no-op', () => {
    assert.equal(parseFaultPlan(undefined), null);
    assert.equal(parseFaultPlan(''), null);
    let kills = 0;
    const point = armFaults(null, () => kills++);
    for (const p of FAULT_POINTS) point(p);
    assert.equal(kills, 0);
  });

  it('a malformed plan stops the process at boot, naming the variable', () => {
    assert.throws(() => parseFaultPlan('{'), /VERITY_FAULTS is not JSON/);
    assert.throws(() => parseFaultPlan('{"seed":1,"points":{"after-commit":2}}'), /VERITY_FAULTS/);
    assert.throws(() => parseFaultPlan('{"seed":1,"points":{"nowhere":0.5}}'), /VERITY_FAULTS/);
    assert.throws(() => parseFaultPlan('{"seed":1,"points":{},"extra":true}'), /VERITY_FAULTS/);
  });

  it('a plan kills at its points with their probability, logs each kill first, and repeats from its seed', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'verity-faults-'));
    const log = path.join(dir, 'faults.jsonl');
    const run = (): number[] => {
      const hits: number[] = [];
      let i = 0;
      const plan = parseFaultPlan(JSON.stringify({ seed: 42, points: { 'mid-publish': 0.3 }, log, label: 'api#1' }));
      const point = armFaults(plan, () => hits.push(i));
      for (i = 0; i < 200; i++) {
        point('mid-publish', 'job_1');
        point('after-commit'); // not in the plan: never
      }
      return hits;
    };
    const first = run();
    assert.deepEqual(run(), first, 'the same seed, the same kills');
    assert.ok(first.length > 30 && first.length < 90, `about 30% of 200, got ${first.length}`);
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, first.length * 2);
    assert.deepEqual(Object.keys(lines[0]).sort(), ['at', 'jobId', 'label', 'pid', 'point']);
    assert.equal(lines[0].point, 'mid-publish');
    assert.equal(lines[0].label, 'api#1');
    assert.equal(lines[0].jobId, 'job_1');
  });

  it('seededRandom is uniform enough and deterministic', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(
      xs.slice(0, 5),
      Array.from({ length: 5 }, () => b()),
    );
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(mean > 0.45 && mean < 0.55);
  });
});
