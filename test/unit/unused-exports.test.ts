/**
 * Dead exports fail the build's tests (infra/deploy/unused-exports.ts): nothing in shared/src, functions or infra
 * exports what no file uses. First shown able to fail, on a small program of its own.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { findUnusedExports } from '../../infra/deploy/unused-exports.js';

describe('unused exports', () => {
  it('finds an export nothing uses, and only that one', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'verity-unused-'));
    try {
      mkdirSync(path.join(root, 'shared/src'), { recursive: true });
      const files: Record<string, string> = {
        'package.json': JSON.stringify({ type: 'module' }),
        'tsconfig.json': JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2023'],
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            types: [],
          },
          include: ['shared/src'],
        }),
        'shared/src/a.ts': [
          'export const used = 1;',
          'export const dead = 2;',
          'export interface Deps { n: number }',
          'export function own(d: Deps): number { return d.n; }',
          'export const viaShorthand = 3;',
          'export const viaDynamic = 4;',
        ].join('\n'),
        'shared/src/b.ts': [
          "import { used, own, viaShorthand } from './a.js';",
          'export const all = { viaShorthand, n: used + own({ n: 1 }) };',
          "export async function later(): Promise<number> { const { viaDynamic } = await import('./a.js'); return viaDynamic; }",
        ].join('\n'),
        'shared/src/c.ts': "import { all, later } from './b.js';\nvoid all; void later;\n",
      };
      for (const [f, text] of Object.entries(files)) writeFileSync(path.join(root, f), text);
      assert.deepEqual(findUnusedExports(root), [{ file: 'shared/src/a.ts', name: 'dead' }]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('finds none in the repo', () => {
    assert.deepEqual(findUnusedExports(REPO_ROOT), []);
  });
});
