/**
 * The cost section of docs/deploy.md, rendered from measured operations (test/infra/cost.test.ts runs the
 * lifecycles through every deploy unit on the emulators and counts what each unit did with
 * test/helpers/meter.ts). Pure: measurements and list prices in, markdown out.
 */
import { DEPLOY_UNITS } from '../../functions/units.js';
import { DAY, PRICES } from './cost-model.js';

/** Billed operations of one deploy unit. */
export interface Usage {
  invocations: number;
  /** Firestore document reads, writes and deletes, by Firestore's billing rules. */
  reads: number;
  writes: number;
  deletes: number;
  /** Cloud Storage operations: class A (list, insert), class B (get, metadata). */
  gcsClassA: number;
  gcsClassB: number;
  /** Pub/Sub messages published by Verity (events out), and their bytes (data + attributes). */
  messages: number;
  messageBytes: number;
}

export const emptyUsage = (): Usage => ({
  invocations: 0,
  reads: 0,
  writes: 0,
  deletes: 0,
  gcsClassA: 0,
  gcsClassB: 0,
  messages: 0,
  messageBytes: 0,
});

export function addUsage(a: Usage, b: Usage, times = 1): Usage {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof Usage)[]) out[k] += b[k] * times;
  return out;
}

export interface Measurement {
  byUnit: Record<string, Usage>;
  /**
   * Documents written to TTL collections (dedupe keys, sweep leases, probe records, published outbox entries,
   * seen-output records of jobs with several outputs): deleted by Firestore later, billed as deletes.
   */
  ttlDocuments: number;
  /** Cloud Run Admin API calls by method (no charge; quota). */
  cloudRunCalls: Record<string, number>;
  /** Pub/Sub messages delivered to Verity's push subscriptions (worker reports, bucket notifications), and their bytes. */
  delivered: number;
  deliveredBytes: number;
}

/** What test/infra/cost.test.ts measures. */
export interface Measured {
  render: Measurement;
  provider: Measurement;
  recovered: Measurement;
  retried: Measurement;
  /** A silent job (liveness: executor) running one hour, swept every minute. */
  silentHour: Measurement;
  strayObject: Measurement;
  get: Measurement;
  getVerified: Measurement;
  /** GET /api/jobs?limit=LIST_LIMIT_MEASURED. */
  list: Measurement;
  /** GET /api/stats/recoveries on the few jobs measured (each aggregation its minimum of one read). */
  stats: Measurement;
  idleSweep: Measurement;
}

export const LIST_LIMIT_MEASURED = 4;
/** Units invoked per job; the sweep runs on its schedule whatever the jobs do. */
const JOB_UNITS = DEPLOY_UNITS.filter((u) => u.trigger.kind !== 'scheduler').map((u) => u.name);

const total = (m: Measurement): Usage => Object.values(m.byUnit).reduce((acc, u) => addUsage(acc, u), emptyUsage());

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const usd = (n: number): string => `$${fmt(n, 2)}`;

/** The per-job table: invocations by unit, Firestore and Storage operations, messages, Cloud Run calls. */
function scenarioRow(name: string, m: Measurement, opts: { sweepRuns?: Measurement } = {}): string {
  // the sweep runs every minute anyway: a job it corrects costs what the run does beyond an idle one
  const base = opts.sweepRuns ? total(opts.sweepRuns) : emptyUsage();
  const sweeps = m.byUnit.sweep?.invocations ?? 0;
  const t = addUsage(total(m), base, -sweeps);
  const inv = JOB_UNITS.map((u) => m.byUnit[u]?.invocations ?? 0);
  const run =
    Object.entries(m.cloudRunCalls)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ') || '—';
  const invocations = inv.map((i) => (i ? String(i) : '·')).join(' / ');
  return (
    `| ${name} | ${invocations} | ${t.reads} | ${t.writes} | ${m.ttlDocuments} | ` +
    `${t.gcsClassB} / ${t.gcsClassA} | ${t.messages} | ${m.delivered} | ${run} |`
  );
}

export interface Line {
  item: string;
  perDay: string;
  monthly: number;
}

/** A day of `D.jobs` jobs (DAY's by default), priced: one line per billed item. */
export function dailyModel(
  m: Measured,
  D: Record<keyof typeof DAY, number> = DAY,
): { lines: Line[]; perDay: Usage; ttl: number } {
  const idle = total(m.idleSweep);
  const marginal = (s: Measurement): Usage => addUsage(total(s), idle, -(s.byUnit.sweep?.invocations ?? 0));
  const retryExtra = addUsage(marginal(m.retried), total(m.render), -1);
  const listCounts = total(m.list).reads - LIST_LIMIT_MEASURED; // count() aggregations of a page
  const listPage = { ...emptyUsage(), invocations: 1, reads: listCounts + D.listPageSize };
  const J = D.jobs;
  let day = emptyUsage();
  day = addUsage(day, total(m.render), J * D.render);
  day = addUsage(day, total(m.provider), J * D.provider);
  day = addUsage(day, marginal(m.recovered), J * D.recovered);
  day = addUsage(day, retryExtra, J * D.retriedShare);
  day = addUsage(day, total(m.strayObject), J * D.strayObjectsPerJob);
  day = addUsage(day, total(m.get), J * D.getsPerJob);
  day = addUsage(day, listPage, D.listPagesPerDay);
  day = addUsage(day, idle, D.sweepsPerDay);
  // the same mix over what the usage does not hold
  const mix = (f: (x: Measurement) => number): number =>
    J *
    (D.render * f(m.render) +
      D.provider * f(m.provider) +
      D.recovered * f(m.recovered) +
      D.retriedShare * (f(m.retried) - f(m.render)) +
      D.strayObjectsPerJob * f(m.strayObject));
  const ttl = mix((x) => x.ttlDocuments);
  const delivered = mix((x) => x.delivered);
  const deliveredBytes = mix((x) => x.deliveredBytes);

  const month = D.daysPerMonth;
  const over = (perDay: number, freePerDay: number): number => Math.max(0, perDay - freePerDay) * month;
  const seconds = day.invocations * D.secondsPerInvocation * month;
  // each message is billed at least 1,000 bytes, once published and once delivered (events out: when
  // someone subscribes; reports and notifications: published by the worker or Cloud Storage, pushed to Verity)
  const billed = (count: number, bytes: number): number => count * Math.max(1000, count > 0 ? bytes / count : 0) * 2;
  const pubsubGib = ((billed(day.messages, day.messageBytes) + billed(delivered, deliveredBytes)) * month) / 2 ** 30;
  const lines: Line[] = [
    {
      item: 'Firestore document reads',
      perDay: fmt(day.reads),
      monthly: over(day.reads, PRICES.firestoreFreeReadsPerDay) * PRICES.firestoreRead,
    },
    {
      item: 'Firestore document writes',
      perDay: fmt(day.writes),
      monthly: over(day.writes, PRICES.firestoreFreeWritesPerDay) * PRICES.firestoreWrite,
    },
    {
      item: 'Firestore TTL deletes (sweep leases, seen outputs, probe records)',
      perDay: fmt(ttl),
      monthly: ttl * month * PRICES.firestoreDelete,
    },
    {
      item: 'Function requests',
      perDay: fmt(day.invocations),
      monthly: Math.max(0, day.invocations * month - PRICES.freeRequestsPerMonth) * PRICES.request,
    },
    {
      item: `Function CPU and memory (assumed ${D.secondsPerInvocation} s billed per request, 1 vCPU, ${D.gibPerInvocation} GiB)`,
      perDay: `${fmt(day.invocations * D.secondsPerInvocation)} vCPU-s`,
      monthly:
        Math.max(0, seconds - PRICES.freeVcpuSecondsPerMonth) * PRICES.vcpuSecond +
        Math.max(0, seconds * D.gibPerInvocation - PRICES.freeGibSecondsPerMonth) * PRICES.gibSecond,
    },
    {
      item: `Pub/Sub throughput (${fmt(day.messages)} events out, ${fmt(delivered)} messages in)`,
      perDay: `${fmt(pubsubGib / month, 2)} GiB`,
      monthly: (Math.max(0, pubsubGib - PRICES.pubsubFreeGibPerMonth) / 1024) * PRICES.pubsubTib,
    },
    {
      item: 'Cloud Storage class B (output probes)',
      perDay: fmt(day.gcsClassB),
      monthly: day.gcsClassB * month * PRICES.gcsClassB,
    },
    {
      item: 'Cloud Storage class A (temp-prefix lists)',
      perDay: fmt(day.gcsClassA),
      monthly: day.gcsClassA * month * PRICES.gcsClassA,
    },
    { item: 'Cloud Scheduler (one job)', perDay: '1,440 runs', monthly: PRICES.schedulerJob },
  ];
  return { lines, perDay: day, ttl };
}

/**
 * The stats call at a day of DAY.jobs: its aggregations' minimum (as measured), plus one read per 1,000 index
 * entries for the breakdowns of the day's transitions (total, by source, by reason; the series' by source,
 * succeeded and failed: about three more) and the ended jobs (the totals, and the series' by type),
 * plus one read per recovery (their records give the time to recover).
 */
function statsLine(m: Measured, transitionsPerDay: number): string {
  const reads =
    total(m.stats).reads +
    6 * Math.ceil(transitionsPerDay / 1000) +
    2 * Math.ceil(DAY.jobs / 1000) +
    (DAY.recovered + DAY.retriedShare) * DAY.jobs;
  return (
    `24 h window; at ${fmt(DAY.jobs)} jobs a day ≈ ${fmt(reads)} reads, ` +
    `${usd(reads * PRICES.firestoreRead * 100)} per 100 calls: one per aggregation, one per 1,000 index entries, one per recovery`
  );
}

export function renderCostSection(m: Measured): string {
  const idle = total(m.idleSweep);
  const list = total(m.list);
  const model = dailyModel(m);
  const sum = model.lines.reduce((s, l) => s + l.monthly, 0);
  const top = [...model.lines].sort((a, b) => b.monthly - a.monthly).slice(0, 2);
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  return [
    'Measured, not estimated: `test/infra/cost.test.ts` runs each lifecycle through the five deploy units as',
    'they are deployed (HTTP and Pub/Sub push bodies into functions-framework) on the emulators, and counts',
    "what Google bills at the clients' own request funnels (`test/helpers/meter.ts`, itself pinned by",
    '`test/integration/meter.test.ts`): Firestore reads, writes and deletes by its billing rules, Cloud',
    'Storage operations by class, Pub/Sub messages. The test renders this section and fails when the code',
    'no longer does what it says (`VERITY_WRITE_DOCS=1 npm test -- cost` rewrites it).',
    '',
    `**Per job**, all of Verity (invocations: ${JOB_UNITS.join(' / ')}; a sweep run`,
    'that corrects a job is counted as what it does beyond an idle run, since the sweep runs anyway):',
    '',
    '| lifecycle | invocations | reads | writes | TTL docs | GCS B / A | events out | messages in | Cloud Run API calls |',
    '|---|---|---|---|---|---|---|---|---|',
    scenarioRow(
      'render on a Cloud Run Job: enqueue, started, 3 steps, output notification, succeeded report',
      m.render,
    ),
    scenarioRow('narration on a third-party API: enqueue (submit), output notification, signed webhook', m.provider),
    scenarioRow(
      'render whose reports and notification are all lost: corrected by the sweep at its deadline',
      m.recovered,
      { sweepRuns: m.idleSweep },
    ),
    scenarioRow('render whose first attempt fails (retryable), restarted by the sweep after its backoff', m.retried, {
      sweepRuns: m.idleSweep,
    }),
    scenarioRow('an object no job declares (temp file, proxy) in a notified bucket', m.strayObject),
    scenarioRow('a silent job (seed 000) running one hour: looked at by age, 1 min doubling to 10', m.silentHour, {
      sweepRuns: m.idleSweep,
    }),
    '',
    'Where they go: a worker report reads the job (1 read) and writes it (1 write), its delivery key and the',
    'outbox folded into the document; a report that changes the status also writes `transitions/{seq}` (with',
    "the transition's effects), and once the event is published one conditional update takes it out of the",
    "job's outbox (no read while the job is unchanged). An enqueue counts the owner's jobs of the last minute and",
    "the deployment's of the last second (the rate limits, docs/scale.md; every 30 s an instance also counts the",
    "last five minutes for the ramp) and the owner's active jobs, writes the job",
    'and its first transition, probes the declared outputs (a video that exists is not made twice), starts the',
    'execution and records it from the job it wrote (no read), the same write taking the first transition out',
    'of the outbox. A bucket notification queries the jobs and the project artifacts expecting the object (at',
    'least one read each, even when nothing matches — which is what every temp file costs) and writes the job',
    'from what the query read. The end of a job lists its temp prefix (class A) to clean it. Sending a',
    "transition's event also reads the outbound webhook subscriptions that hear of the job's owner (1 read, even",
    "when there are none — the tables' runs have none), and the sweep looks for webhook deliveries due and bulk",
    'actions still running (1 read each);',
    'each delivery to a subscriber then costs its creation (1 write), its try (about 5 reads and 2 writes: take it,',
    "read its subscription, check the job's earlier transitions went first, record the answer) and, settled, a TTL",
    'delete 7 days later.',
    '',
    '**Per request and per run:**',
    '',
    '| operation | reads | writes |',
    '|---|---|---|',
    `| \`GET /api/jobs/:id\` inside the job's deadlines | ${total(m.get).reads} | ${total(m.get).writes} |`,
    `| \`GET /api/jobs/:id?verify=true\` (probes outputs and executor) | ${total(m.getVerified).reads} | ${total(m.getVerified).writes} |`,
    `| \`GET /api/jobs\`, a page of N | N + ${list.reads - LIST_LIMIT_MEASURED} (\`count()\` stats) | ${list.writes} |`,
    `| \`GET /api/stats/recoveries\` (${statsLine(m, model.perDay.messages)}) | ${total(m.stats).reads} here | ${total(m.stats).writes} |`,
    `| a sweep run with nothing due | ${idle.reads} | ${idle.writes} |`,
    '| an SSE stream (`/api/jobs/:id/events`) | the replayed transitions, then 1 per change (Firestore listener) | 0 |',
    '',
    `**A day of ${fmt(DAY.jobs)} jobs**, priced at list prices (\`PRICES\` in \`infra/deploy/cost.ts\`: Tier 1`,
    `region, Firestore in a multi-region such as eur3/nam5, free tiers deducted). The mix is an assumption:`,
    `${pct(DAY.render)} renders, ${pct(DAY.provider)} third-party narrations, ${pct(DAY.recovered)} recovered by the sweep; ` +
      `${pct(DAY.retriedShare)} retried once; ${DAY.strayObjectsPerJob} temp`,
    `objects per job; ${DAY.getsPerJob} status reads per job; ` +
      `${fmt(DAY.listPagesPerDay)} list pages of ${DAY.listPageSize} a day; a sweep every minute.`,
    '',
    '| item | per day | per month (30 days) |',
    '|---|---|---|',
    ...model.lines.map((l) => `| ${l.item} | ${l.perDay} | ${usd(l.monthly)} |`),
    `| **total** | | **${usd(sum)}** |`,
    '',
    `That is ${usd((sum / (DAY.jobs * DAY.daysPerMonth)) * 1000)} per 1,000 jobs. ` +
      `The largest items: ${top.map((l) => `${l.item.replace(/ \(.*$/, '')} (${usd(l.monthly)})`).join(', ')}; the compute`,
    'line rests on the assumed billed time, an upper bound since concurrent requests share an instance',
    `(\`concurrency\` in \`locals.tf\`). Firestore scales with jobs: ${fmt(model.perDay.reads / DAY.jobs, 1)} reads ` +
      `and ${fmt(model.perDay.writes / DAY.jobs, 1)} writes per job in this mix.`,
    `Idle, Verity costs the sweep: ${idle.reads} reads a minute, inside the free tier; a busy instance of another unit looks`,
    'for starts a dead process left at most every 5 s (a read when none is due, ≤ 17,280 a day). Not included: the workers',
    "themselves (Cloud Run Job executions, the provider's bill), storing the outputs, Firestore storage (each",
    'job keeps its document, its transitions and their index entries until you delete them), Cloud Logging beyond its',
    'free 50 GiB, and Cloud Build minutes at deploy time.',
  ].join('\n');
}

const BEGIN = '<!-- cost:begin (rendered by test/infra/cost.test.ts from measured operations; do not edit by hand) -->';
const END = '<!-- cost:end -->';

/** The document with its cost section replaced; throws when the markers are missing. */
export function replaceCostSection(doc: string, section: string, begin = BEGIN, end = END): string {
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`no cost section markers (${begin} … ${end})`);
  return `${doc.slice(0, a + begin.length)}\n${section}\n${doc.slice(b)}`;
}

/** docs/scale.md's markers: the day at a million jobs (renderScaleCost). */
export const SCALE_MARKERS = [
  '<!-- scale-cost:begin (rendered by test/infra/cost.test.ts; do not edit by hand) -->',
  '<!-- scale-cost:end -->',
] as const;

/**
 * The same measured operations and mix at a million jobs a day (docs/scale.md): list pages a hundred times as
 * many, the sweep as often (its idle runs do not grow with jobs).
 */
export function renderScaleCost(m: Measured): string {
  const D = { ...DAY, jobs: 1_000_000, listPagesPerDay: DAY.listPagesPerDay * 100 };
  const model = dailyModel(m, D);
  const sum = model.lines.reduce((a, l) => a + l.monthly, 0);
  return [
    `| item | per day at ${fmt(D.jobs)} jobs | per month (30 days) |`,
    '|---|---|---|',
    ...model.lines.map((l) => `| ${l.item} | ${l.perDay} | ${usd(l.monthly)} |`),
    `| **total** | | **${usd(sum)}** (${usd(sum / D.daysPerMonth)} a day) |`,
    '',
    `That is ${usd((sum / (D.jobs * D.daysPerMonth)) * 1000)} per 1,000 jobs, with the mix and assumptions of ` +
      `[the cost section](deploy.md#cost-at-10000-jobs-a-day) (${fmt(D.listPagesPerDay)} list pages a day). ` +
      `Per second at the average: ${fmt(model.perDay.reads / 86_400)} reads, ` +
      `${fmt(model.perDay.writes / 86_400)} writes, ${fmt(model.perDay.invocations / 86_400)} invocations.`,
  ].join('\n');
}
