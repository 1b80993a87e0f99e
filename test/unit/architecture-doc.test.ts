/** docs/architecture.md stays true: every path it names exists; every collection and deploy unit is in it. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readdirSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { DEPLOY_UNITS } from '../../functions/units.js';
import { Collections } from '../../shared/src/store/firestore.js';

const doc = readFileSync(path.join(REPO_ROOT, 'docs/architecture.md'), 'utf8');
const prose = doc.replace(/```[\s\S]*?```/g, ''); // fenced blocks (the flow picture) hold no inline names
const code = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

/** Every top-level name the code declares, with its file's text (for `Class.method`). */
const declared = new Map<string, string[]>();
const declaredFiles = ['shared/src', 'functions', 'infra'].flatMap((d) => sources(path.join(REPO_ROOT, d)));
for (const file of declaredFiles) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(
    /^export (?:default )?(?:abstract )?(?:class|function|const|interface|type|enum) (\w+)/gm,
  ))
    declared.set(m[1]!, [...(declared.get(m[1]!) ?? []), text]);
}

describe('docs/architecture.md', () => {
  it('names only classes, functions and methods the code has', () => {
    // `Name`, `Name.method`, `name.method` and `name(...)` in prose: names the code declares
    // (a camelCase name alone is a document field, not code)
    const names = code
      .filter((c) => /^[A-Z]\w*(\.\w+)?$/.test(c) || /^[a-z]\w*\.\w+$/.test(c) || /^[a-z]\w*\(.*\)$/.test(c))
      .filter((c) => !/^[A-Z_]+$/.test(c) && !/\.(ts|md|js|json)$/.test(c))
      .map((c) => c.replace(/\(.*\)$/, ''));
    assert.ok(names.length >= 10, `found ${names.length} names`);
    const missing = names.filter((n) => {
      const [owner, member] = n.split('.') as [string, string | undefined];
      const texts = declared.get(owner);
      if (!texts) return true;
      return member !== undefined && !texts.some((t) => new RegExp(`\\b${member}\\s*[(<]`).test(t));
    });
    assert.deepEqual(missing, []);
  });

  it('names only paths that exist', () => {
    const paths = code.filter((c) => /^(shared|functions|infra|test|docs)\/[\w./-]*$/.test(c));
    assert.ok(paths.length >= 10, `found ${paths.length} paths`);
    const missing = paths.filter((p) => !existsSync(path.join(REPO_ROOT, p)));
    assert.deepEqual(missing, []);
  });

  it('names only source files that exist (by their base name)', () => {
    const bases = new Set([...declaredFiles].map((f) => path.basename(f)));
    const files = code.filter((c) => /^[\w-]+\.ts$/.test(c));
    assert.ok(files.length >= 5, `found ${files.length} file names`);
    assert.deepEqual(
      files.filter((f) => !bases.has(f)),
      [],
    );
  });

  it('names every Firestore collection and every deploy unit', () => {
    const collections = Object.values(Collections);
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
