/** docs/architecture.md stays true: every path it names exists; every collection and deploy unit is in it. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { DEPLOY_UNITS } from '../../functions/units.js';
import { ARTIFACTS, PROJECTS } from '../../shared/src/store/projects.js';
import { Collections } from '../../shared/src/store/firestore.js';

const doc = readFileSync(path.join(REPO_ROOT, 'docs/architecture.md'), 'utf8');
const prose = doc.replace(/```[\s\S]*?```/g, ''); // fenced blocks (the flow picture) hold no inline names
const code = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);

describe('docs/architecture.md', () => {
  it('names only paths that exist', () => {
    const paths = code.filter((c) => /^(shared|functions|infra|test|docs)\/[\w./-]*$/.test(c));
    assert.ok(paths.length >= 10, `found ${paths.length} paths`);
    const missing = paths.filter((p) => !existsSync(path.join(REPO_ROOT, p)));
    assert.deepEqual(missing, []);
  });

  it('names every Firestore collection and every deploy unit', () => {
    const collections = [...Object.values(Collections), PROJECTS, ARTIFACTS];
    const named = (name: string) => code.some((c) => c === name || c.endsWith(`/${name}`));
    assert.deepEqual(
      collections.filter((c) => !named(c)),
      [],
      'collections missing from the data model',
    );
    assert.deepEqual(
      DEPLOY_UNITS.map((u) => u.name).filter((n) => !named(n)),
      [],
      'deploy units missing',
    );
  });
});
