/**
 * The soak's webhook subscriber (infra/soak/webhooks.ts) finds what it should: a transition never delivered,
 * one delivered after a later one of its job, a bad signature; and counts duplicates as duplicates only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RecordedTransition } from '../../shared/src/core/index.js';
import { newSigningSecret, standardHeaders } from '../../shared/src/webhooks/standard.js';
import { rng } from '../../infra/soak/plan.js';
import { startWebhookSink, type WebhookSink } from '../../infra/soak/webhooks.js';

let sink: WebhookSink;
const secret = newSigningSecret();
before(async () => {
  sink = await startWebhookSink(rng(1), 0, () => false);
  sink.secret = secret;
});
after(() => sink.stop());

async function send(jobId: string, seq: number, key = secret): Promise<number> {
  const body = JSON.stringify({ type: 'job.transition', data: { jobId, seq } });
  const headers = standardHeaders([key], `${jobId}:${seq}`, Math.floor(Date.now() / 1000), body);
  const res = await fetch(sink.url, { method: 'POST', headers, body });
  return res.status;
}

const history = (...seqs: number[]) => seqs.map((seq) => ({ seq, from: null, to: 'queued' }) as RecordedTransition);

describe('soak: the webhook subscriber’s verdict', () => {
  it('missing, out of order and badly signed deliveries are findings; duplicates are not', async () => {
    assert.equal(await send('a', 1), 204);
    assert.equal(await send('a', 2), 204);
    assert.equal(await send('a', 2), 204); // a duplicate
    assert.equal(await send('b', 2), 204);
    assert.equal(await send('b', 1), 204); // after its successor
    assert.equal(await send('c', 1, newSigningSecret()), 400);
    const v = sink.check(
      new Map([
        ['a', history(1, 2)],
        ['b', history(1, 2)],
        ['c', history(1)],
        ['d', history(1)],
      ]),
    );
    assert.equal(v.expected, 6);
    assert.equal(v.delivered, 4);
    assert.equal(v.duplicates, 1);
    assert.equal(v.problems.length, 4, v.problems.join('\n'));
    assert.ok(v.problems.some((p) => p.includes('b:1') && p.includes('out of order')));
    assert.ok(v.problems.some((p) => p.includes('c:1') && p.includes('signature')));
    assert.ok(v.problems.some((p) => p.includes('never delivered: c:1')));
    assert.ok(v.problems.some((p) => p.includes('never delivered: d:1')));
  });
});
