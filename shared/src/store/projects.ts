/**
 * Projects in Firestore: `projects/{id}` (no counters: nothing every artifact writes) and the artifacts in
 * `projects/{id}/artifacts/{hash(key)}`, so a project of hundreds of clips never nears the 1 MiB document
 * limit and clips finishing at once write distinct documents. The stored status is a record; the truth is
 * derived from the artifacts that exist (deriveProjectStatus).
 */
import { createHash } from 'node:crypto';
import { FieldValue, Timestamp, type Firestore } from '@google-cloud/firestore';
import type { ProjectStatus } from '../core/index.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { retryOnConflict } from './conflicts.js';
import { Collections, col, named } from './firestore.js';
import { QUERIES } from './queries.js';

export interface Artifact {
  key: string;
  uri: string;
  present: boolean;
  generation: string | null;
}

export interface Project {
  id: string;
  ownerId: string;
  name: string;
  status: ProjectStatus;
  artifactCount: number;
  activeJobId: string | null;
  lastJobId: string | null;
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** A project artifact some object is (a finalize event's lookup). */
export interface ArtifactRef {
  projectId: string;
  key: string;
}

export const artifactDocId = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 32);

const toProject = (d: FirebaseFirestore.DocumentData): Project => ({
  ...(d as Project),
  createdAt: (d.createdAt as Timestamp).toMillis(),
  updatedAt: (d.updatedAt as Timestamp).toMillis(),
});

export class ProjectStore {
  constructor(
    private readonly db: Firestore,
    private readonly clock: () => number,
  ) {}

  private ref(id: string) {
    return col(this.db, Collections.projects).doc(id);
  }

  private artifactRef(projectId: string, key: string) {
    return this.ref(projectId).collection(named(this.db, Collections.artifacts)).doc(artifactDocId(key));
  }

  async create(
    p: Omit<Project, 'version' | 'createdAt' | 'updatedAt' | 'status' | 'activeJobId' | 'lastJobId'>,
    artifacts: { key: string; uri: string }[],
  ): Promise<Project> {
    const now = Timestamp.fromMillis(this.clock());
    const project = {
      ...p,
      status: 'draft' as ProjectStatus,
      activeJobId: null,
      lastJobId: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    const batch = this.db.batch(); // up to 500 writes: the API caps artifacts at 499
    batch.create(this.ref(p.id), project);
    for (const [index, a] of artifacts.entries()) {
      batch.create(this.artifactRef(p.id, a.key), {
        projectId: p.id,
        ownerId: p.ownerId,
        index,
        key: a.key,
        uri: a.uri,
        present: false,
        generation: null,
        verifiedAt: null,
      });
    }
    await batch.commit();
    return toProject(project);
  }

  async get(id: string): Promise<Project | null> {
    const s = await this.ref(id).get();
    return s.exists ? toProject(s.data()!) : null;
  }

  async artifacts(id: string): Promise<Artifact[]> {
    const s = await this.ref(id).collection(named(this.db, Collections.artifacts)).orderBy('index').get();
    return s.docs.map((d) => ({
      key: d.get('key') as string,
      uri: d.get('uri') as string,
      present: d.get('present') === true,
      generation: (d.get('generation') as string | null) ?? null,
    }));
  }

  /** How many artifacts are recorded present: a count() aggregation, no counter document. */
  async presentCount(id: string): Promise<number> {
    const s = await this.ref(id)
      .collection(named(this.db, Collections.artifacts))
      .where('present', '==', true)
      .count()
      .get();
    return s.data().count;
  }

  /** Records verified artifact states (only those that changed). */
  async recordArtifacts(id: string, changed: Artifact[]): Promise<void> {
    const now = Timestamp.fromMillis(this.clock());
    for (let i = 0; i < changed.length; i += 450) {
      const batch = this.db.batch();
      for (const a of changed.slice(i, i + 450))
        batch.update(this.artifactRef(id, a.key), {
          present: a.present,
          generation: a.generation,
          verifiedAt: now,
        });
      await batch.commit();
    }
  }

  /** The owner's projects, newest first; `cursor` is a page's `nextCursor` (ValidationError when malformed). */
  async list(
    ownerId: string,
    limit: number,
    cursor?: string,
  ): Promise<{ projects: Project[]; nextCursor: string | null }> {
    const after = cursor ? decodeCursor(cursor) : undefined;
    const snap = await QUERIES.projectsOf(this.db, ownerId, limit + 1, after).get();
    const projects = snap.docs.slice(0, limit).map((d) => toProject(d.data()));
    const last = projects[projects.length - 1];
    return { projects, nextCursor: snap.docs.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
  }

  /** The project artifacts this object is (at most 50). */
  async artifactsAt(uri: string): Promise<ArtifactRef[]> {
    const snap = await QUERIES.artifactsByUri(this.db, uri).get();
    return snap.docs.map((d) => ({ projectId: String(d.get('projectId')), key: String(d.get('key')) }));
  }

  /** Marks one artifact present from a finalize event; false when it already was (same generation). */
  async markPresent(a: ArtifactRef, generation: string): Promise<boolean> {
    const artifactRef = this.artifactRef(a.projectId, a.key);
    // a read and a write on the condition it did not change (no transaction: no lock to wait for), as jobs do
    return retryOnConflict(async () => {
      const s = await artifactRef.get();
      if (!s.exists || (s.get('present') === true && s.get('generation') === generation)) return false;
      const fields = { present: true, generation, verifiedAt: Timestamp.fromMillis(this.clock()) };
      await artifactRef.update(fields, { lastUpdateTime: s.updateTime! });
      return true;
    });
  }

  /** Updates the project record in a transaction: `change` sees the current record; null writes nothing. */
  async update(
    id: string,
    change: (p: Project) => Partial<Pick<Project, 'status' | 'activeJobId' | 'lastJobId'>> | null,
  ): Promise<Project | null> {
    // a read and a write on the condition it did not change: a lock held by a killed process (or a busy emulator)
    // cannot make it fail — the soak's ground truth saw a transaction's lock timeout answered 500 (issue 26)
    return retryOnConflict(async () => {
      const s = await this.ref(id).get();
      if (!s.exists) return null;
      const p = toProject(s.data()!);
      const fields = change(p);
      if (!fields || Object.entries(fields).every(([k, v]) => p[k as keyof Project] === v)) return p;
      const now = this.clock();
      await this.ref(id).update(
        { ...fields, version: FieldValue.increment(1), updatedAt: Timestamp.fromMillis(now) },
        { lastUpdateTime: s.updateTime! },
      );
      return { ...p, ...fields, version: p.version + 1, updatedAt: now };
    });
  }
}
