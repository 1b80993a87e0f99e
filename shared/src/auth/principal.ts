export interface Principal {
  userId: string;
  admin: boolean;
  /** Set for a worker token: it may only report on this job. */
  workerJobId: string | null;
  /** Set for a worker credential (worker-credential.ts): it may only report on this attempt of that job. */
  workerAttempt?: number;
}

export interface Authenticator {
  /** The caller behind an Authorization header; throws AuthError. */
  authenticate(authorization: string | undefined): Promise<Principal>;
}
