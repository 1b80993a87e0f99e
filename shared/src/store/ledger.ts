/**
 * The ledger: every store over one Firestore client, built once per process (runtime.ts). Services take the
 * part they need; what they get in and out is plain data (Jobs, Transitions, Projects, epoch ms), never a
 * Firestore type. Only shared/src/store/ imports @google-cloud/firestore (an ESLint rule).
 */
import type { Firestore } from '@google-cloud/firestore';
import { JobStore } from './job-store.js';
import { Leases } from './leases.js';
import { mirrorWriter, type MirrorWriter } from './mirror-writer.js';
import { OutboxStore } from './outbox-store.js';
import { ProjectStore } from './projects.js';
import { Quotas } from './quotas.js';
import { Admission, type AdmissionLimits } from './admission.js';
import { SeenOutputs } from './seen.js';
import { StatsStore } from './stats.js';
import { SubscriptionStore } from './subscriptions.js';
import { SweepCursors } from './sweep-cursors.js';
import { CheckpointEvidence } from './checkpoint-evidence.js';
import { backfillShards, type BackfillCount } from './backfill.js';
import { BulkStore } from './bulks.js';
import { Watch } from './watch.js';

/** The client a ledger is built on: only the wiring (and tests, which read the emulator) hold one. */
export type LedgerClient = Firestore;

export interface Ledger {
  /** Job state: the one transactional write path, and the job reads. */
  jobs: JobStore;
  projects: ProjectStore;
  /** Events out: each transition enters its job's outbox when committed and leaves once published. */
  outbox: OutboxStore;
  /** The sweep's per-job leases. */
  leases: Leases;
  /** Where a sweep cut short stopped, for the next run to resume. */
  sweepCursors: SweepCursors;
  /** Outputs seen for jobs of several outputs. */
  seen: SeenOutputs;
  /** Listeners and replay for the event streams. */
  watch: Watch;
  quotas: Quotas;
  /** Enqueue rate limits over the jobs' creation times, with these limits. */
  admission(limits: AdmissionLimits): Admission;
  /** Step checkpoints seen landing. */
  checkpoints: CheckpointEvidence;
  /** The aggregations behind the recovery stats. */
  stats: StatsStore;
  /** Imported records written back (their own clients, opened on first use). */
  mirror: MirrorWriter;
  /** Outbound webhooks: the endpoints, and one delivery per event per endpoint. */
  subscriptions: SubscriptionStore;
  /** Bulk actions and their items (bulks.ts). */
  bulks: BulkStore;
  /** Sets the shard on jobs, transitions and deliveries written before the sharded indexes (backfill.ts). */
  backfillShards(
    onPage?: (what: string, c: BackfillCount) => void,
  ): Promise<Record<'jobs' | 'transitions' | 'deliveries', BackfillCount>>;
  /** Ends the clients (a CLI run, a benchmark); a deployed function keeps them for its lifetime. */
  close(): Promise<void>;
}

export function createLedger(db: LedgerClient, clock: () => number, opts: { random?: () => number } = {}): Ledger {
  const jobs = new JobStore({ db, clock, ...(opts.random ? { random: opts.random } : {}) });
  const mirror = mirrorWriter();
  return {
    jobs,
    outbox: new OutboxStore(db, (id) => jobs.read(id)),
    projects: new ProjectStore(db, clock),
    leases: new Leases(db, clock),
    sweepCursors: new SweepCursors(db),
    seen: new SeenOutputs(db, clock),
    watch: new Watch(db),
    quotas: new Quotas({ db, clock }),
    admission: (limits) => new Admission(db, clock, limits),
    stats: new StatsStore(db),
    checkpoints: new CheckpointEvidence(db),
    mirror,
    subscriptions: new SubscriptionStore(db, clock),
    bulks: new BulkStore(db),
    backfillShards: (onPage) => backfillShards(db, onPage),
    close: async () => {
      await Promise.all([db.terminate(), mirror.close()]);
    },
  };
}
