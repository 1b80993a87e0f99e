/** A job type whose local-process executor runs `node -e <script>`: the local-process executor tests' worker. */
import { DEFAULT_LIMITS, DEFAULT_POLICY } from '../../shared/src/core/index.js';
import type { JobType } from '../../shared/src/config/job-types.js';

export const nodeScriptType = (name: string, script: string): JobType =>
  ({
    name,
    executor: { kind: 'local-process', command: [process.execPath, '-e', script] },
    policy: DEFAULT_POLICY,
    limits: DEFAULT_LIMITS,
    outputTemplates: [],
    outputsFromRequest: false,
    tempPrefix: 'tmp/{jobId}/',
    steps: [],
  }) as unknown as JobType;
