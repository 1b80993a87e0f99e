// Lint: typescript-eslint (type-aware: no floating promises), a pure core, and deploy units that stand alone.
// Import cycles are checked by test/unit/architecture.test.ts (eslint-plugin-import-x's native resolver
// ships per-platform binaries this project's registry cannot serve, which breaks `npm ci`).
import { readdirSync } from 'node:fs';
import tseslint from 'typescript-eslint';

// The deploy units: every folder under functions/ but common/ (the plumbing they share).
const UNITS = readdirSync(new URL('./functions/', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'common')
  .map((d) => d.name);

/**
 * Only the ledger (shared/src/store/) talks to Firestore; everything else goes through its typed API. Exempt:
 * test/** and bench/** (they seed and inspect the emulator directly, and are not part of the system).
 */
const FIRESTORE_ONLY_IN_STORE = {
  group: ['@google-cloud/firestore', '@google-cloud/firestore/*'],
  message: 'only shared/src/store/ imports @google-cloud/firestore: use the ledger (shared/src/store/ledger.ts).',
};
// the soak reads the emulator back directly, as the tests do
const FIRESTORE_EXEMPT = ['shared/src/store/**', 'test/**', 'bench/**', 'infra/soak/**'];

/**
 * A `no-restricted-imports` setting with these patterns and the Firestore one. In flat config a later object's
 * setting of a rule replaces an earlier one for the same file (options do not merge): every object that sets
 * the rule builds it here, so none drops the Firestore pattern. (No object setting it may match an exempt file.)
 */
const restrictedImports = (...patterns) => ['error', { patterns: [...patterns, FIRESTORE_ONLY_IN_STORE] }];

/**
 * Deploy units stand alone: a file under functions/<unit>/ imports no other unit's folder, and
 * functions/common/ (what they share) imports no unit. Unit names are plain words ([a-z-]).
 */
const standAlone = (unit) => ({
  files: [`functions/${unit}/**/*.ts`],
  rules: {
    'no-restricted-imports': restrictedImports({
      regex: `^(\\.\\./)+(functions/)?(${UNITS.filter((u) => u !== unit).join('|')})(/|$)`,
      message:
        `deploy units stand alone: functions/${unit}/ imports no ${unit === 'common' ? '' : 'other '}unit folder; ` +
        'shared code goes in functions/common/.',
    }),
  },
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'build/**',
      'node_modules/**',
      '.tools/**',
      '.verity/**',
      'infra/terraform/**',
      'infra/cli/verity.js',
      'eslint.config.js',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.ts'],
    ignores: FIRESTORE_EXEMPT,
    rules: { 'no-restricted-imports': restrictedImports() },
  },
  ...[...UNITS, 'common'].map(standAlone),
  {
    // The decision core is pure: no I/O modules, no clock, no randomness of its own.
    files: ['shared/src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictedImports(
        {
          group: ['node:*', 'fs', 'fs/*', 'http', 'https', 'net', 'child_process', 'crypto', 'os', 'path'],
          message: 'shared/src/core is pure: no Node I/O modules.',
        },
        {
          // Firestore is left to the shared pattern (one report per import, not two)
          group: ['@google-cloud/*', '!@google-cloud/firestore', 'google-auth-library', 'pino', 'jose'],
          message: 'shared/src/core is pure: no clients.',
        },
        {
          group: ['../store/*', '../evidence/*', '../reconcile/*', '../config/*', '../auth/*', '../*.js'],
          message: 'shared/src/core imports nothing outside core.',
        },
      ),
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'time is an input: take `now` from the context.' },
        { object: 'Math', property: 'random', message: 'randomness is an input: take `random` from the context.' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'time is an input.' },
      ],
    },
  },
);
