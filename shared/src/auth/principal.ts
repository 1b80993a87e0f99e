export interface Principal {
  userId: string;
  admin: boolean;
  /** Set for a worker token: it may only report on this job. */
  workerJobId: string | null;
}

export interface Authenticator {
  /** The caller behind an Authorization header; throws AuthError. */
  authenticate(authorization: string | undefined): Promise<Principal>;
}
