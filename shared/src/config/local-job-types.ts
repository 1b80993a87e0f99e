/**
 * The job types of the local stack (`npm start`, `npm test`): docs/contract.md, "Local stack". Plain
 * configuration, checked by the registry's schema like VERITY_JOB_TYPES (job-types.ts parseRegistry).
 */
import path from 'node:path';
import type { Env } from './env.js';

type LocalTypes = Record<string, Record<string, unknown>>;

export function localJobTypes(env: Env): LocalTypes {
  return {
    'demo-render': {
      executor: {
        kind: 'local-process',
        command: [process.execPath, path.join(env.repoRoot, 'dist/infra/local/demo-worker.js')],
      },
      outputTemplates: ['gs://{bucket}/renders/{jobId}.mp4'],
      policy: { queueTimeoutSeconds: 60, runTimeoutSeconds: 600, heartbeatTimeoutSeconds: 30, outputGraceSeconds: 30 },
    },
    external: { executor: { kind: 'external' } },
    'demo-provider': {
      executor: {
        kind: 'http',
        provider: 'demo',
        baseUrl: env.demoProviderUrl,
        outputTemplates: ['gs://{bucket}/provider/{externalJobId}_output_0.mp4'],
      },
      outputsFromRequest: false,
      policy: { queueTimeoutSeconds: 60, runTimeoutSeconds: 300, heartbeatTimeoutSeconds: 300, outputGraceSeconds: 30 },
    },
    ...demoVoiceType(env),
    // seed 000's workers are Python: the client of clients/python, run by the python3 on PATH
    'demo-python': {
      executor: {
        kind: 'local-process',
        command: ['python3', path.join(env.repoRoot, 'clients/python/examples/render_worker.py')],
      },
      outputTemplates: ['gs://{bucket}/renders/{jobId}-py.mp4'],
      policy: { queueTimeoutSeconds: 60, runTimeoutSeconds: 600, heartbeatTimeoutSeconds: 30, outputGraceSeconds: 30 },
    },
  };
}

/**
 * `demo-voice` (seeds 003/004), when the stack runs its S3-compatible store (`{bucket}-s3`, infra/local/stack.ts):
 * the demo provider under /s3 uploads there and reports an http:// URL; a silent provider job, its output looked
 * for after a minute, under either name, or at the URL its webhook reports.
 */
function demoVoiceType(env: Env): LocalTypes {
  const store = `${env.bucket}-s3`;
  const host = Object.keys(env.httpOutputHosts)[0];
  if (!Object.hasOwn(env.s3Stores, store) || host === undefined) return {};
  const s3 = (name: string) => `s3://${store}/provider/${name}`;
  return {
    'demo-voice': {
      executor: {
        kind: 'http',
        provider: 'demo-s3',
        baseUrl: `${env.demoProviderUrl.replace(/\/$/, '')}/s3`,
        outputTemplates: [
          {
            anyOf: [s3('{externalJobId}_output_0.mp4'), s3('{externalJobId}.mp4')],
            reported: `http://${host}/${store}/provider/{externalJobId}_*.mp4`,
          },
        ],
      },
      outputsFromRequest: false,
      policy: { liveness: 'executor', probeAfterSeconds: 60, probeEverySeconds: 60, runTimeoutSeconds: 600 },
    },
  };
}
