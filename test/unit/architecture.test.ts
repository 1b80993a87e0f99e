/**
 * The shape of the code: no import cycles anywhere; the decision core imports nothing but itself; deploy units
 * import no other unit (the ESLint rule in eslint.config.js says the same on the specifiers; this checks resolved paths);
 * only shared/src/store/ imports Firestore (an ESLint rule: this runs ESLint to show that it fires, and where).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
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

  it('runs one way: the commit acts on nothing, effects never call back into the reconciler', () => {
    const reconcile = (f: string) => path.join(REPO_ROOT, 'shared/src/reconcile', f);
    // what each module of the flow may not reach, directly or through others
    const forbidden: [string, string[]][] = [
      ['commit.ts', ['effect-runner.ts', 'effects.ts', 'observe.ts', 'reconciler.ts']],
      ['observe.ts', ['effect-runner.ts', 'effects.ts', 'reconciler.ts']],
      ['effects.ts', ['effect-runner.ts', 'commit.ts', 'observe.ts', 'reconciler.ts']],
      ['effect-runner.ts', ['reconciler.ts']],
    ];
    const reach = (from: string): Set<string> => {
      const seen = new Set<string>();
      const walk = (f: string): void => {
        for (const { resolved } of graph.get(f) ?? [])
          if (resolved && graph.has(resolved) && !seen.has(resolved)) {
            seen.add(resolved);
            walk(resolved);
          }
      };
      walk(from);
      return seen;
    };
    const offenders: string[] = [];
    for (const [from, never] of forbidden) {
      assert.ok(graph.has(reconcile(from)), `finds ${from}`);
      const reached = reach(reconcile(from));
      for (const n of never) if (reached.has(reconcile(n))) offenders.push(`${from} reaches ${n}`);
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

  describe('only the ledger talks to Firestore (the ESLint rule in eslint.config.js)', () => {
    const FIRESTORE =
      "import { Firestore } from '@google-cloud/firestore';\nexport const client = (db: Firestore) => db;\n";
    // the rule under test alone, without type information: paths need not exist and no program is built
    const eslint = new ESLint({
      cwd: REPO_ROOT,
      ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
      overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
    });
    const errors = async (filePath: string): Promise<string[]> => {
      const [result] = await eslint.lintText(FIRESTORE, { filePath: path.join(REPO_ROOT, filePath) });
      return result!.messages.map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
    };

    for (const file of [
      'shared/src/reconcile/ledger-probe.ts',
      'shared/src/core/ledger-probe.ts',
      'functions/api/ledger-probe.ts',
      'functions/common/ledger-probe.ts',
      'infra/cli/ledger-probe.ts',
    ])
      it(`refuses the import in ${file}`, async () => {
        const found = await errors(file);
        assert.equal(found.length, 1, found.join('\n'));
        assert.match(found[0]!, /^no-restricted-imports: .*only shared\/src\/store\/ imports @google-cloud\/firestore/);
      });

    it('keeps the other patterns of a file that has its own (deploy units, the core)', async () => {
      const [unit] = await eslint.lintText("import { x } from '../sweep/index.js';\nexport { x };\n", {
        filePath: path.join(REPO_ROOT, 'functions/api/ledger-probe.ts'),
      });
      assert.match(unit!.messages[0]?.message ?? '', /deploy units stand alone/);
      const [core] = await eslint.lintText("import pino from 'pino';\nexport { pino };\n", {
        filePath: path.join(REPO_ROOT, 'shared/src/core/ledger-probe.ts'),
      });
      assert.match(core!.messages[0]?.message ?? '', /no clients/);
    });

    for (const file of [
      'shared/src/store/ledger-probe.ts',
      'test/integration/ledger-probe.ts',
      'bench/ledger-probe.ts',
    ])
      it(`allows it in ${file}`, async () => {
        assert.deepEqual(await errors(file), []);
      });
  });
});
