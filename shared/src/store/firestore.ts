import { Firestore } from '@google-cloud/firestore';

/** One Firestore client per process; FIRESTORE_EMULATOR_HOST points it at the emulator. */
export function createFirestore(projectId: string): Firestore {
  return new Firestore({ projectId, ignoreUndefinedProperties: true });
}

/** Collection names: one place. */
export const Collections = {
  jobs: 'jobs',
  transitions: 'transitions',
  seenOutputs: 'seen',
  /** Step checkpoints seen landing (checkpoint-evidence.ts). */
  checkpoints: 'checkpoints',
  locks: 'locks',
  idempotency: 'idempotency',
  projects: 'projects',
  /** Sweep leases, one per job being checked. */
  leases: 'leases',
  /** One small record per probe (verify, reconcile) with a TTL: the per-owner probe quota counts them. */
  probes: 'probes',
} as const;
