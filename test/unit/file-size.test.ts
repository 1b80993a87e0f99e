/**
 * Source files stay readable: no .ts/.js file under shared/, functions/, infra/ (but infra/terraform), test/ or
 * bench/ is over MAX_LINES lines, and no line over MAX_LINE_LENGTH characters (Prettier wraps at 120 but leaves
 * long strings and comments alone). Split a file that grows past the limit at a real seam.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../shared/src/config/env.js';

const MAX_LINES = 350;
const MAX_LINE_LENGTH = 140;

const ROOTS = ['shared', 'functions', 'infra', 'test', 'bench'];
/** Not sources, or not ours to shape: Terraform, and what tools install or write (dist/, build/, node_modules/). */
const SKIPPED_DIRS = new Set(['infra/terraform']);
const SKIPPED_NAMES = new Set(['node_modules', 'dist', 'build']);
const SOURCE = /\.(ts|js|mjs|cjs)$/;

/**
 * Files allowed over MAX_LINES (repo-relative), each with its reason. An entry for a file that is no longer
 * over the limit fails the test, so the list only shrinks.
 */
const OVER_MAX_LINES: Readonly<Record<string, string>> = {};

/** Every source file under `dir` (repo-relative, '/'-separated). */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !SKIPPED_NAMES.has(entry.name) && !SKIPPED_DIRS.has(rel))
        out.push(...sources(rel));
    } else if (entry.isFile() && SOURCE.test(entry.name)) out.push(rel);
  }
  return out;
}

/** Lines as `wc -l` counts them (a last line without its newline counts too). */
function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** What is wrong with one file's text, one message per problem (empty when nothing is). */
function problemsOf(file: string, text: string, allowed: Readonly<Record<string, string>> = {}): string[] {
  const problems: string[] = [];
  const lines = lineCount(text);
  if (lines > MAX_LINES && !(file in allowed)) problems.push(`${file}: ${lines} lines (at most ${MAX_LINES})`);
  if (lines <= MAX_LINES && file in allowed)
    problems.push(`${file}: ${lines} lines, within the limit now: remove it from OVER_MAX_LINES`);
  text.split(/\r?\n/).forEach((line, i) => {
    const length = [...line].length; // characters, not UTF-16 units
    if (length > MAX_LINE_LENGTH)
      problems.push(`${file}:${i + 1}: a line of ${length} characters (at most ${MAX_LINE_LENGTH})`);
  });
  return problems;
}

const files = ROOTS.flatMap((r) => sources(r)).sort();

describe('file size', () => {
  it('finds the sources it checks, and none under infra/terraform', () => {
    for (const f of ['shared/src/core/decide.ts', 'functions/api/handler.ts', 'infra/local/tools.ts', 'test/run.ts'])
      assert.ok(files.includes(f), f);
    assert.ok(files.some((f) => f.startsWith('bench/')));
    assert.ok(files.some((f) => f.endsWith('.js')));
    assert.ok(!files.some((f) => f.startsWith('infra/terraform/')));
    assert.ok(files.length > 150, `${files.length} files`);
  });

  it(`no source file is over ${MAX_LINES} lines or has a line over ${MAX_LINE_LENGTH} characters`, () => {
    const problems = files.flatMap((f) => problemsOf(f, readFileSync(path.join(REPO_ROOT, f), 'utf8'), OVER_MAX_LINES));
    for (const f of Object.keys(OVER_MAX_LINES))
      if (!files.includes(f)) problems.push(`${f}: no such source: remove it from OVER_MAX_LINES`);
    assert.deepEqual(problems, []);
  });

  it('names the file and line of each problem', () => {
    const long = 'x'.repeat(MAX_LINE_LENGTH + 1);
    assert.deepEqual(problemsOf('a.ts', `${'\n'.repeat(MAX_LINES)}`), []);
    assert.deepEqual(problemsOf('a.ts', `${'\n'.repeat(MAX_LINES)}x`), [`a.ts: 351 lines (at most ${MAX_LINES})`]);
    assert.deepEqual(problemsOf('b.ts', `ok\n${long}\n${'é'.repeat(MAX_LINE_LENGTH)}\n`), [
      `b.ts:2: a line of 141 characters (at most ${MAX_LINE_LENGTH})`,
    ]);
    assert.deepEqual(problemsOf('c.ts', `${'\n'.repeat(MAX_LINES + 1)}`, { 'c.ts': 'being split' }), []);
    assert.deepEqual(problemsOf('c.ts', 'short\n', { 'c.ts': 'being split' }), [
      'c.ts: 1 lines, within the limit now: remove it from OVER_MAX_LINES',
    ]);
  });
});
