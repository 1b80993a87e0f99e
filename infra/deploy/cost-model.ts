/** The prices and the daily mix the cost section (cost.ts) is priced with. */
/**
 * List prices in USD (Tier 1 regions; Firestore in a multi-region such as eur3 — the module's default — or
 * nam5). Check https://cloud.google.com/pricing for yours and change them here; the test re-renders.
 */
export const PRICES = {
  firestoreRead: 0.06 / 100_000,
  firestoreWrite: 0.18 / 100_000,
  firestoreDelete: 0.02 / 100_000,
  /** Free per day: 50k reads, 20k writes, 20k deletes (TTL deletes are not free). */
  firestoreFreeReadsPerDay: 50_000,
  firestoreFreeWritesPerDay: 20_000,
  /** Cloud Run functions (request-based billing): per request, vCPU-second, GiB-second; free per month. */
  request: 0.4 / 1_000_000,
  vcpuSecond: 0.000024,
  gibSecond: 0.0000025,
  freeRequestsPerMonth: 2_000_000,
  freeVcpuSecondsPerMonth: 180_000,
  freeGibSecondsPerMonth: 360_000,
  /** Pub/Sub throughput (publish and delivery), at least 1,000 bytes per message; 10 GiB a month free. */
  pubsubTib: 40,
  pubsubFreeGibPerMonth: 10,
  /** Cloud Storage Standard operations. */
  gcsClassA: 0.005 / 1000,
  gcsClassB: 0.0004 / 1000,
  /** Cloud Scheduler: per job a month (3 free per billing account). */
  schedulerJob: 0.1,
} as const;

/** Assumptions of the daily model: stated in the rendered section, none of them measured. */
export const DAY = {
  jobs: 10_000,
  /** Share of jobs by path. */
  render: 0.7,
  provider: 0.25,
  recovered: 0.05,
  /** Jobs with one failed attempt retried (on top of the mix). */
  retriedShare: 0.05,
  /** Objects per job that no job declares (temp files, proxies) in a notified bucket. */
  strayObjectsPerJob: 2,
  /** Status reads per job (GET /api/jobs/:id), and list pages of 20 viewed a day. */
  getsPerJob: 5,
  listPagesPerDay: 1_000,
  listPageSize: 20,
  /** The sweep runs every minute. */
  sweepsPerDay: 1_440,
  /**
   * Billed instance time per invocation, seconds (Cloud Run rounds up to 100 ms), and memory, GiB: one figure for
   * every unit, though locals.tf gives api and sweep 512Mi (the other units 256Mi).
   */
  secondsPerInvocation: 0.3,
  gibPerInvocation: 0.25,
  daysPerMonth: 30,
} as const;
