/** The ramp of core/admission.ts: Firestore's 500/50/5 — the base, or half again the last five minutes' rate. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowedPerSecond } from '../../shared/src/core/index.js';

describe('admission ramp (500/50/5)', () => {
  it('a cold deployment takes its base; a sustained rate may grow by half every five minutes', () => {
    assert.equal(allowedPerSecond(500, 0), 500);
    assert.equal(allowedPerSecond(500, 300 * 400), 600, '400/s sustained: 600/s now');
    let allowed = 500;
    const steps = [];
    for (let i = 0; i < 4; i++) {
      steps.push(allowed);
      allowed = allowedPerSecond(500, 300 * allowed); // five minutes at the full allowance
    }
    assert.deepEqual(steps, [500, 750, 1125, 1687]);
  });
});
