/** The response shapes of the insight routes (issue 16): the diagnosis and the recovery stats. */
import { CAUSE_CODES, JOB_STATUSES, Reason, Source } from '../../../shared/src/core/index.js';

type Json = Record<string, unknown>;
const iso = { type: ['string', 'null'], format: 'date-time' };

const DiagnosisSchema = {
  type: 'object',
  required: ['jobId', 'status', 'summary', 'cause', 'waitingFor', 'nextDeadline', 'evidence', 'actions'],
  properties: {
    jobId: { type: 'string' },
    status: { enum: [...JOB_STATUSES] },
    summary: { type: 'string', description: 'one sentence' },
    cause: {
      type: 'object',
      properties: { code: { enum: [...CAUSE_CODES] }, explanation: { type: 'string' } },
    },
    waitingFor: { type: 'array', items: { type: 'string' } },
    nextDeadline: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          properties: {
            kind: { type: 'string', description: 'the deadline reason (e.g. HEARTBEAT_TIMEOUT) or LATE_OUTPUT_CHECK' },
            at: iso,
            action: { enum: ['retry', 'fail', 'cancel', 'check'] },
            then: { type: 'string' },
          },
        },
      ],
    },
    evidence: {
      type: 'array',
      items: {
        type: 'object',
        properties: { kind: { type: 'string' }, seen: { type: 'boolean' }, at: iso, detail: { type: 'string' } },
      },
    },
    actions: {
      type: 'array',
      items: {
        type: 'object',
        properties: { action: { enum: ['cancel', 'retry', 'reconcile', 'wait'] }, why: { type: 'string' } },
      },
    },
  },
};
const counts = (keys: readonly string[]): Json => ({
  type: 'object',
  properties: Object.fromEntries(keys.map((k) => [k, { type: 'integer' }])),
});
/** Per job type: how many ended in each status, and failed / (succeeded + failed). */
const endedByType = (statuses: readonly string[], description: string): Json => ({
  type: 'object',
  description,
  additionalProperties: {
    type: 'object',
    properties: {
      ...(counts(statuses).properties as Json),
      failureRate: { type: ['number', 'null'], description: 'failed / (succeeded + failed)' },
    },
  },
});
const RecoveryStatsSchema = {
  type: 'object',
  properties: {
    window: { enum: ['1h', '24h', '7d'] },
    since: iso,
    transitions: { type: 'integer' },
    bySource: counts(Object.values(Source)),
    byReason: { ...counts(Object.values(Reason)), description: 'reasons seen in the window (absent: none)' },
    recovered: {
      type: 'object',
      description: 'states set by a read, a reconcile or the sweep rather than by the event that should have said it',
      properties: {
        count: { type: 'integer' },
        bySource: counts(['read', 'reconcile', 'sweep']),
        secondsToRecover: {
          type: 'object',
          description: 'from the deadline, or the output found, to the correction',
          properties: {
            p50: { type: ['number', 'null'] },
            p99: { type: ['number', 'null'] },
            samples: { type: 'integer' },
          },
        },
      },
    },
    byType: endedByType(['succeeded', 'failed', 'canceled'], 'jobs of each type that ended in the window'),
    avoided: counts(['outputsAlreadyPresent', 'stepsSkipped', 'artifactsNotRegenerated']),
    series: {
      type: 'array',
      description: 'the window in 12 equal buckets, oldest first',
      items: {
        type: 'object',
        properties: {
          start: iso,
          end: iso,
          ...(counts(['transitions', 'recovered', 'succeeded', 'failed']).properties as Json),
          bySource: counts(Object.values(Source)),
          failureRate: { type: ['number', 'null'] },
          byType: endedByType(['succeeded', 'failed'], 'jobs of each type that ended in the bucket (types with any)'),
          secondsToRecoverP50: { type: ['number', 'null'] },
        },
      },
    },
  },
};

export const INSIGHT_SCHEMAS = { Diagnosis: DiagnosisSchema, RecoveryStats: RecoveryStatsSchema };
