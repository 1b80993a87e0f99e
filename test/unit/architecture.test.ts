/**
 * The shape of the code: no import cycles anywhere; the decision core imports nothing but itself; deploy units
 * import no other unit (the ESLint rule in eslint.config.js says the same on the specifiers; this checks resolved paths).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { REPO_ROOT } from '../../shared/src/config/env.js';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const ROOTS = ['shared/src', 'functions', 'infra/local'].map((r) => path.join(REPO_ROOT, r));
const files = ROOTS.flatMap((r) => sources(r));

function imports(file: string): { spec: string; resolved: string | null }[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map(({ fileName: spec }) => {
    if (!spec.startsWith('.')) return { spec, resolved: null };
    const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
    return { spec, resolved: target };
  });
}

const graph = new Map(files.map((f) => [f, imports(f)]));

describe('architecture', () => {
  it('finds the sources it checks', () => {
    assert.ok(files.some((f) => f.endsWith(path.join('core', 'decide.ts'))));
    assert.ok(files.length > 20);
  });

  it('has no import cycles', () => {
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, trail: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'visiting') {
        cycles.push([...trail.slice(trail.indexOf(f)), f].map((x) => path.relative(REPO_ROOT, x)).join(' → '));
        return;
      }
      state.set(f, 'visiting');
      for (const { resolved } of graph.get(f) ?? [])
        if (resolved && graph.has(resolved)) visit(resolved, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    assert.deepEqual(cycles, []);
  });

  it('keeps the decision core pure: it imports only core modules', () => {
    const core = path.join(REPO_ROOT, 'shared/src/core') + path.sep;
    const offenders: string[] = [];
    for (const [file, deps] of graph) {
      if (!file.startsWith(core)) continue;
      for (const d of deps)
        if (!d.resolved || !d.resolved.startsWith(core))
          offenders.push(`${path.relative(REPO_ROOT, file)} imports ${d.spec}`);
      const text = readFileSync(file, 'utf8');
      if (/Date\.now\(|Math\.random\(|new Date\(\)/.test(text))
        offenders.push(`${path.relative(REPO_ROOT, file)} reads a clock or randomness`);
    }
    assert.deepEqual(offenders, []);
  });

  it('keeps deploy units apart: functions/<unit>/ imports no other unit, functions/common/ imports none', () => {
    const functionsDir = path.join(REPO_ROOT, 'functions') + path.sep;
    const folderOf = (f: string): string | null => {
      if (!f.startsWith(functionsDir)) return null;
      const parts = path.relative(functionsDir, f).split(path.sep);
      return parts.length > 1 ? parts[0]! : null; // functions/units.ts belongs to no unit
    };
    const offenders: string[] = [];
    for (const [file, deps] of graph) {
      const from = folderOf(file);
      if (from === null) continue;
      for (const d of deps) {
        const to = d.resolved ? folderOf(d.resolved) : null;
        if (to !== null && to !== from && to !== 'common')
          offenders.push(`${path.relative(REPO_ROOT, file)} imports ${d.spec}`);
      }
    }
    assert.ok(
      [...graph.keys()].some((f) => folderOf(f) === 'common'),
      'finds functions/common/',
    );
    assert.deepEqual(offenders, []);
  });

  it('writes job state only through the store: no other module sets job documents', () => {
    const store = path.join(REPO_ROOT, 'shared/src/store') + path.sep;
    const offenders = files.filter(
      (f) =>
        !f.startsWith(store) &&
        /collection\((?:Collections\.jobs|'jobs')\)[\s\S]{0,80}\.(set|update|create|delete)\(/.test(
          readFileSync(f, 'utf8'),
        ),
    );
    assert.deepEqual(
      offenders.map((f) => path.relative(REPO_ROOT, f)),
      [],
    );
  });
});
