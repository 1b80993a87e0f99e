/**
 * Outputs with alternative names (issue 28, seed 004) and names a provider's webhook reports (core/outputs.ts,
 * evidence/output-templates.ts): any one name present counts; a reported name counts only when it matches the
 * type's declared pattern, and only once a probe finds it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createJob,
  declareOutputs,
  MAX_OUTPUT_NAMES,
  withOutputNames,
  type Job,
  type JobEvent,
} from '../../shared/src/core/index.js';
import { fillOutputs, reportedOutput, type OutputTemplate } from '../../shared/src/evidence/output-templates.js';
import { present, run, running } from '../helpers/decide.js';
import { ctx, jobSpec, S, T0 } from '../helpers/jobs.js';

const A = 'https://cdn.example/b/x_output_0.mp4';
const B = 'https://cdn.example/b/x.mp4';
const C = 'gs://b/captions.vtt';

function jobWith(outputUris: string[], outputAlternatives?: string[][]): Job {
  const spec = jobSpec({ id: 'job_1', type: 'voice', executorKind: 'external', outputUris, outputAlternatives });
  return createJob(spec, [], ctx(T0)).job;
}

const looked = (outputs: { uri: string; exists: boolean }[]): JobEvent => ({
  kind: 'observed',
  source: 'sweep',
  probed: true,
  outputs,
});

describe('outputs with alternatives: any one name present counts', () => {
  it('declares one output per name list; every name is in outputUris for the finalize look-up', () => {
    const job = jobWith([A, C], [[B], []]);
    assert.equal(job.outputs.length, 2);
    assert.deepEqual(job.outputs[0]!.anyOf, [B]);
    assert.equal(job.outputs[1]!.anyOf, undefined);
    assert.deepEqual(job.outputUris, [A, B, C]);
  });

  it('succeeds when the alternative of one output and the name of the other are present', () => {
    const job = running(jobWith([A, C], [[B], []]));
    const d = run(job, looked([{ uri: A, exists: false }, present(B), present(C)]), T0 + 9 * S);
    assert.equal(d.job.status, 'succeeded');
    assert.equal(d.job.outputs[0]!.foundUri, B);
    assert.equal(d.job.outputs[1]!.foundUri, undefined);
  });

  it('does not succeed on two names of one output while another output is missing', () => {
    const job = running(jobWith([A, C], [[B], []]));
    const d = run(job, looked([present(A), present(B), { uri: C, exists: false }]), T0 + 9 * S);
    assert.equal(d.job.status, 'running');
    assert.equal(d.job.outputs[0]!.present, true);
    assert.equal(d.job.outputs[1]!.present, false);
  });

  it('an output found under its alternative stays present when another of its names is seen absent', () => {
    let job = running(jobWith([A, C], [[B], []]));
    job = run(job, looked([present(B)]), T0 + 9 * S).job;
    const d = run(job, looked([{ uri: A, exists: false }]), T0 + 10 * S);
    assert.equal(d.job.outputs[0]!.present, true);
    assert.equal(d.job.outputs[0]!.foundUri, B);
    const gone = run(
      job,
      looked([
        { uri: B, exists: false },
        { uri: A, exists: false },
      ]),
      T0 + 11 * S,
    );
    assert.equal(gone.job.outputs[0]!.present, false);
  });

  it('reuses an alternative that already exists: born succeeded, the evidence names where it was found', () => {
    const spec = jobSpec({
      id: 'job_1',
      type: 'v',
      executorKind: 'external',
      outputUris: [A],
      outputAlternatives: [[B]],
    });
    const d = createJob(spec, [present(B, T0 - 60 * S)], ctx(T0));
    assert.equal(d.job.status, 'succeeded');
    assert.equal(d.job.statusReason, 'OUTPUT_ALREADY_PRESENT');
    assert.equal((d.transition!.evidence as { outputs: { uri: string }[] }).outputs[0]!.uri, B);
  });

  it('a name repeated in a later output is kept only in the first', () => {
    const { outputs, outputUris } = declareOutputs([A, C], [[B], [B, 'gs://b/other.vtt']]);
    assert.deepEqual(outputs[1]!.anyOf, ['gs://b/other.vtt']);
    assert.deepEqual(outputUris, [A, B, C, 'gs://b/other.vtt']);
  });
});

describe('a name a webhook reports', () => {
  const succeeded = (names?: { output: number; uri: string }[]): JobEvent => ({
    kind: 'worker',
    source: 'webhook',
    report: { kind: 'succeeded' },
    ...(names ? { outputNames: names } : {}),
  });
  const R = 'https://cdn.example/b/x_final.mp4';

  it('is added to its output and looked for; the job waits for a probe to find it', () => {
    const job = running(jobWith([A]));
    const d = run(job, succeeded([{ output: 0, uri: R }]), T0 + 5 * S);
    assert.equal(d.job.status, 'running');
    assert.deepEqual(d.job.outputs[0]!.anyOf, [R]);
    assert.ok(d.job.outputUris.includes(R));
    assert.deepEqual(
      d.effects.map((e) => e.kind),
      ['probe'],
    );
    const found = run(d.job, looked([{ uri: A, exists: false }, present(R)]), T0 + 6 * S);
    assert.equal(found.job.status, 'succeeded');
    assert.equal(found.job.outputs[0]!.foundUri, R);
  });

  it('for an output the job does not have, or already another output’s, changes nothing', () => {
    const job = jobWith([A, C]);
    assert.equal(withOutputNames(job, [{ output: 5, uri: R }]), null);
    assert.equal(withOutputNames(job, [{ output: 0, uri: C }]), null);
  });

  it('is added to a failed job (its late-output check may still find it), never to a succeeded one', () => {
    const failed: Job = { ...running(jobWith([A])), status: 'failed', statusReason: 'RUN_TIMEOUT', endedAt: T0 };
    const d = run(failed, succeeded([{ output: 0, uri: R }]), T0 + 5 * S);
    assert.deepEqual(d.job.outputs[0]!.anyOf, [R]);
    const done: Job = { ...failed, status: 'succeeded', statusReason: 'OUTPUT_FOUND' };
    assert.equal(run(done, succeeded([{ output: 0, uri: R }]), T0 + 5 * S).job, done);
  });

  it('an output takes at most MAX_OUTPUT_NAMES alternatives', () => {
    const many = Array.from({ length: MAX_OUTPUT_NAMES }, (_, i) => `https://cdn.example/b/${i}.mp4`);
    const job = jobWith([A], [many]);
    assert.equal(withOutputNames(job, [{ output: 0, uri: R }]), null);
  });
});

describe('output templates: alternatives and the reported pattern', () => {
  const templates: OutputTemplate[] = [
    'gs://{bucket}/provider/{externalJobId}.json',
    {
      anyOf: [
        'https://cdn.example/{bucket}/{externalJobId}_output_0.mp4',
        'https://cdn.example/{bucket}/{externalJobId}.mp4',
      ],
      reported: 'https://cdn.example/{bucket}/{externalJobId}_*.mp4',
    },
  ];
  const values = { bucket: 'b', jobId: 'job_1', externalJobId: 'x' };

  it('fills every name; the first is the output’s name', () => {
    assert.deepEqual(fillOutputs(templates, values), {
      uris: ['gs://b/provider/x.json', 'https://cdn.example/b/x_output_0.mp4'],
      alternatives: [[], ['https://cdn.example/b/x.mp4']],
    });
  });

  it('a URL matching the pattern names that output; anything else none', () => {
    assert.equal(reportedOutput(templates, values, 'https://cdn.example/b/x_final.mp4'), 1);
    for (const url of [
      'https://cdn.example/b/y_final.mp4', // another provider job's
      'https://evil.example/b/x_final.mp4', // another host
      'https://cdn.example/b/x_a/b.mp4', // `*` never crosses a segment
      'https://cdn.example/b/x_final.mp4?x=1',
      'https://cdn.example/b/x_final.mp4.exe',
      'https://cdn.example@evil.example/b/x_final.mp4',
      'gs://b/provider/x.json', // a declared name, not a reported pattern
    ])
      assert.equal(reportedOutput(templates, values, url), -1, url);
  });
});
