/** Projects (seed 001): verify every artifact, derive the status, generate only what is missing. */
import {
  deriveProjectStatus,
  ErrorCode,
  ForbiddenError,
  isActive,
  isDue,
  NotFoundError,
  VerityError,
  type Job,
  type ProjectStatus,
} from '../core/index.js';
import type { Principal } from '../auth/principal.js';
import { canSee, newProjectId } from '../api-kit.js';
import { assertRequestUris } from '../evidence/prefixes.js';
import type { OutputProbe } from '../evidence/outputs.js';
import type { Logger } from '../log.js';
import type { JobsService } from '../reconcile/jobs-service.js';
import type { Reconciler } from '../reconcile/reconciler.js';
import type { JobStore } from '../store/job-store.js';
import type { Artifact, Project, ProjectStore } from '../store/projects.js';
import type { Quotas } from '../store/quotas.js';
import { projectKey } from './follow.js';

export interface ProjectReport {
  projectId: string;
  originalStatus: ProjectStatus;
  correctedStatus: ProjectStatus;
  claimedArtifacts: number;
  verifiedArtifacts: number;
  missingArtifacts: string[];
  /** Each artifact whose record the look corrects (or would): what it said, what the bucket says. */
  changes: { key: string; uri: string; was: 'present' | 'missing'; now: 'present' | 'missing' }[];
  action: 'corrected' | 'unchanged';
  /** A look before a fix (seed 001's `auto_fix=False`): what a reconcile would do; nothing was written. */
  dryRun?: true;
}

export interface ProjectsDeps {
  store: ProjectStore;
  jobStore: JobStore;
  jobs: JobsService;
  reconciler: Reconciler;
  probe: OutputProbe;
  log: Logger;
  quotas: Quotas;
  /** The owner's probe budget a minute (a project reconcile probes every artifact). */
  probesPerMinute: number;
  /** The job type that generates a project's artifacts. */
  generationType: string | null;
  clock: () => number;
}

export class ProjectsService {
  constructor(private readonly d: ProjectsDeps) {}

  /**
   * A project of the listed artifacts. A key listed more than once names one artifact, at its first place, with
   * the last uri given for it (as a map built from pairs: `Object.fromEntries`, Kubernetes' env) — the answer
   * says so in `warnings`, one line per repeated key (docs/contract.md: Projects).
   */
  async create(
    who: Principal,
    body: { name: string; artifacts: { key: string; uri: string }[] },
  ): Promise<{ project: Project; artifacts: Artifact[]; warnings: string[] }> {
    if (who.workerJobId) throw new ForbiddenError('a worker token cannot create projects');
    // artifacts lie where the generation type lets this owner name outputs (OUTPUT_NOT_ALLOWED, before any probe)
    assertRequestUris(
      'artifacts',
      body.artifacts.map((a) => a.uri),
      this.d.jobs.requestPrefixesOf(this.d.generationType, who.userId),
    );
    const { artifacts: declared, warnings } = distinctArtifacts(body.artifacts);
    // a project writes a document per artifact (up to MAX_ARTIFACTS): one of the owner's costly operations a
    // minute, from the same budget as its probes (429 with Retry-After past it), before anything is written
    await this.d.quotas.takeProbe(who.userId, this.d.probesPerMinute);
    const id = newProjectId();
    const project = await this.d.store.create(
      { id, ownerId: who.userId, name: body.name, artifactCount: declared.length },
      declared,
    );
    return { project, artifacts: declared.map((a) => ({ ...a, present: false, generation: null })), warnings };
  }

  async visible(who: Principal, id: string): Promise<Project> {
    const p = await this.d.store.get(id);
    if (!p || !canSee(who, { ownerId: p.ownerId })) throw new NotFoundError(`project ${id} not found`);
    return p;
  }

  /** Like seed 001's frontend on open: reconcile first when generating or claiming artifacts. */
  async read(who: Principal, id: string): Promise<{ project: Project; artifacts: Artifact[] }> {
    const p = await this.visible(who, id);
    const artifacts = await this.d.store.artifacts(id);
    // a view that would probe (up to MAX_ARTIFACTS objects) is charged to the owner's probe quota; over it, the
    // view answers what is recorded, unverified, rather than probe for free or fail a read (issue 29)
    if (
      (p.status === 'generating' || artifacts.some((a) => a.present)) &&
      (await this.d.quotas.tryTakeProbe(who.userId, this.d.probesPerMinute))
    ) {
      const r = await this.reconcile(p);
      return { project: r.project, artifacts: r.artifacts };
    }
    return { project: p, artifacts };
  }

  /** POST /api/projects/:id/reconcile: a probe the caller asks for, charged to its per-owner quota (429). */
  async requestReconcile(
    who: Principal,
    id: string,
    opts: { dryRun?: boolean } = {},
  ): Promise<{ project: Project; artifacts: Artifact[]; report: ProjectReport }> {
    const p = await this.visible(who, id);
    await this.d.quotas.takeProbe(who.userId, this.d.probesPerMinute);
    return this.reconcile(p, opts.dryRun === true);
  }

  /**
   * Verifies every artifact (bounded parallel probes) and corrects the records; never deletes an object. A dry
   * run writes nothing (its generation job is read as stored, not reconciled) and says what it would correct.
   */
  async reconcile(
    p: Project,
    dryRun = false,
  ): Promise<{ project: Project; artifacts: Artifact[]; report: ProjectReport }> {
    const recorded = await this.d.store.artifacts(p.id);
    const [probed, job] = await Promise.all([
      this.d.probe.probe(recorded.map((a) => a.uri)),
      this.generationJob(p, dryRun),
    ]);
    const byUri = new Map(probed.observations.map((o) => [o.uri, o]));
    const verified: Artifact[] = recorded.map((a) => {
      const o = byUri.get(a.uri);
      if (!o) return a; // the probe failed for it: keep the record
      return { ...a, present: o.exists, generation: o.exists ? (o.generation ?? null) : null };
    });
    const changed = verified.filter(
      (v, i) => v.present !== recorded[i]!.present || v.generation !== recorded[i]!.generation,
    );
    if (changed.length > 0 && !dryRun) await this.d.store.recordArtifacts(p.id, changed);
    const present = verified.filter((a) => a.present).length;
    const status = deriveProjectStatus({ declared: verified.length, present, job });
    const jobActive = job !== null && isActive(job.status);
    const next = (cur: Project) => ({ status, activeJobId: jobActive ? cur.activeJobId : null });
    const project = dryRun ? { ...p, ...next(p) } : ((await this.d.store.update(p.id, next)) ?? p);
    const word = (b: boolean) => (b ? ('present' as const) : ('missing' as const));
    const changes = verified
      .map((v, i) => ({ key: v.key, uri: v.uri, was: word(recorded[i]!.present), now: word(v.present) }))
      .filter((c) => c.was !== c.now);
    const report: ProjectReport = {
      projectId: p.id,
      originalStatus: p.status,
      correctedStatus: project.status,
      claimedArtifacts: recorded.filter((a) => a.present).length,
      verifiedArtifacts: present,
      missingArtifacts: verified.filter((a) => !a.present).map((a) => a.key),
      changes,
      action: changed.length > 0 || project.status !== p.status ? 'corrected' : 'unchanged',
      ...(dryRun ? { dryRun: true as const } : {}),
    };
    if (report.action === 'corrected' && !dryRun)
      this.d.log.info({ ...report, missingArtifacts: report.missingArtifacts.length }, 'project reconciled');
    return { project, artifacts: verified, report };
  }

  /** The project's generation job, reconciled first if it is past a deadline (a crashed job ends here). */
  private async generationJob(p: Project, dryRun = false): Promise<Job | null> {
    const id = p.activeJobId ?? p.lastJobId;
    if (!id) return null;
    const job = await this.d.jobStore.get(id);
    if (job && !dryRun && isDue(job, this.d.clock()))
      return (await this.d.reconciler.reconcile(id, 'reconcile', job)).job;
    return job;
  }

  /** One job whose outputs are exactly the missing artifacts; nothing when all are present; 409 while one runs. */
  async generate(who: Principal, id: string): Promise<{ created: boolean; project: Project; job: Job | null }> {
    const p = await this.visible(who, id);
    const { project, artifacts } = await this.reconcile(p);
    const missing = artifacts.filter((a) => !a.present);
    if (missing.length === 0) return { created: false, project, job: null };
    if (this.d.generationType === null) {
      throw new VerityError(
        ErrorCode.UNAVAILABLE,
        'no job type generates project artifacts here: set VERITY_PROJECT_JOB_TYPE (Terraform: project_job_type)',
      );
    }
    // the job is the project owner's whoever asks (an admin too): its outputs lie under the owner's prefixes and
    // its resourceKey among the owner's keys (an admin's own would be refused OUTPUT_NOT_ALLOWED: found by the fuzzer)
    const owner: Principal = who.userId === p.ownerId ? who : { userId: p.ownerId, admin: false, workerJobId: null };
    const { job } = await this.d.jobs.enqueue(
      owner,
      {
        type: this.d.generationType,
        input: { projectId: id, artifacts: missing.map((a) => a.key) },
        outputs: [...new Set(missing.map((a) => a.uri))], // two keys may name one object: one output (found by the fuzzer)
        resourceKey: projectKey(id),
        reuseExistingOutputs: true,
      },
      { evidence: { artifactsReused: artifacts.length - missing.length } },
    ); // a generation job still really active: 409 ACTIVE_JOB_EXISTS with it
    const updated =
      (await this.d.store.update(id, () => ({
        activeJobId: isActive(job.status) ? job.id : null,
        lastJobId: job.id,
        status: isActive(job.status) ? 'generating' : project.status,
      }))) ?? project;
    return { created: true, project: updated, job };
  }

  /** The owner's projects, newest first, each with how many of its artifacts are present (a count() each). */
  async list(
    who: Principal,
    limit: number,
    cursor: string | undefined,
  ): Promise<{ projects: (Project & { presentCount: number })[]; nextCursor: string | null }> {
    const page = await this.d.store.list(who.userId, limit, cursor);
    const counts = await Promise.all(page.projects.map((p) => this.d.store.presentCount(p.id)));
    return { projects: page.projects.map((p, i) => ({ ...p, presentCount: counts[i]! })), nextCursor: page.nextCursor };
  }
}

/** One artifact per key: at the key's first place, with its last uri; a warning for each key listed twice or more. */
export function distinctArtifacts(listed: readonly { key: string; uri: string }[]): {
  artifacts: { key: string; uri: string }[];
  warnings: string[];
} {
  const uris = new Map<string, string>();
  const times = new Map<string, number>();
  for (const a of listed) {
    uris.set(a.key, a.uri);
    times.set(a.key, (times.get(a.key) ?? 0) + 1);
  }
  const warnings = [...times]
    .filter(([, n]) => n > 1)
    .map(([key, n]) => `artifact key ${JSON.stringify(key)} was listed ${n} times: the last uri is kept`);
  return { artifacts: [...uris].map(([key, uri]) => ({ key, uri })), warnings };
}
