/**
 * `npm run build`, second half: one self-contained deploy folder per unit in build/functions/<name>/ — one
 * bundle of everything its entry point reaches (esbuild: its code and the npm packages it imports), its
 * run-time assets, and a package.json naming what stays outside the bundle: functions-framework, which the
 * runtime starts and in whose registry the unit registers its target. No tests, no dev dependencies, no
 * source maps. The Terraform module zips these folders.
 *
 * The bundle is split where the code imports lazily (`import()`): the entry holds what the unit needs to
 * answer at all (the framework's registration, validation, logging), and the Runtime with its clients is a
 * chunk (dist/chunks/) loaded by the first request that needs it — a cold start pays for no client it does
 * not use (functions/common/runtime-source.ts).
 *
 * The folder keeps the repo's layout for its entry (dist/functions/<name>/index.js) and assets
 * (functions/api/dashboard/static/…); REPO_ROOT is the folder with the nearest package.json, here the deploy folder.
 */
import { builtinModules } from 'node:module';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { DEPLOY_UNITS, type DeployUnit } from '../../functions/units.js';

/** Outside the bundle: the framework the runtime starts (the unit registers into its registry). */
export const EXTERNAL = ['@google-cloud/functions-framework'] as const;
/** Where the lazily loaded parts of a bundle go, inside the deploy folder. */
export const CHUNKS = 'dist/chunks';
/** Bundled CommonJS (gax, grpc-js, protobufjs) calls require() and reads __dirname: an ES module has neither. */
const BANNER = [
  "import { createRequire as __verityRequire } from 'node:module';",
  "import { fileURLToPath as __verityPath } from 'node:url';",
  "import { dirname as __verityDir } from 'node:path';",
  'const require = __verityRequire(import.meta.url);',
  'const __filename = __verityPath(import.meta.url);',
  'const __dirname = __verityDir(__filename);',
].join('\n');

// `from` only as a keyword: not inside a string or a name (`'from', 'to'` in a list of field names is no import)
const IMPORT_RE = /(?:(?<![\w'"$.])from\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])([^'"\n]+)\1/g;
const BUILTINS = new Set(builtinModules);

export interface PackagedUnit {
  unit: DeployUnit;
  dir: string;
  main: string;
  /** What the folder holds: the bundle's entry and chunks, and the assets. */
  files: string[];
  /** The compiled files the bundle was made of (the unit's code, walked from its entry). */
  bundled: string[];
  /** What package.json names: the packages outside the bundle. */
  dependencies: Record<string, string>;
}

export class PackageError extends Error {
  override name = 'PackageError';
}

const packageName = (spec: string): string =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;

/** The compiled files reachable from `entry` (repo-relative), and the npm packages they import. */
export function walkImports(repoRoot: string, entry: string): { files: string[]; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const rel = queue.pop()!;
    if (files.has(rel)) continue;
    const abs = path.join(repoRoot, rel);
    if (!existsSync(abs)) throw new PackageError(`${rel} is imported but does not exist (run tsc first)`);
    files.add(rel);
    const code = readFileSync(abs, 'utf8');
    for (const m of code.matchAll(IMPORT_RE)) {
      const spec = m[2]!;
      if (spec.startsWith('.')) queue.push(path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec)));
      else if (spec.startsWith('node:') || BUILTINS.has(spec)) continue;
      else packages.add(packageName(spec));
    }
  }
  return { files: [...files].sort(), packages };
}

function installedVersion(repoRoot: string, name: string): string {
  const pkg = path.join(repoRoot, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

export function packageUnit(repoRoot: string, unit: DeployUnit, outRoot: string): PackagedUnit {
  const root = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
    engines?: Record<string, string>;
  };
  const main = `dist/functions/${unit.name}/index.js`;
  const { files, packages } = walkImports(repoRoot, main);
  const dependencies: Record<string, string> = {};
  for (const name of [...packages].sort()) {
    if (!(name in root.dependencies)) {
      throw new PackageError(
        `deploy unit ${unit.name} imports "${name}", which is not in package.json "dependencies" (a dev dependency is not deployed)`,
      );
    }
    dependencies[name] = installedVersion(repoRoot, name);
  }
  const dir = path.join(outRoot, unit.name);
  rmSync(dir, { recursive: true, force: true });
  buildSync({
    entryPoints: [path.join(repoRoot, main)],
    outdir: dir,
    outbase: repoRoot,
    entryNames: '[dir]/[name]',
    chunkNames: `${CHUNKS}/[name]-[hash]`,
    splitting: true,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    external: [...EXTERNAL],
    banner: { js: BANNER },
    logLevel: 'error',
  });
  const external: Record<string, string> = {};
  for (const name of EXTERNAL) external[name] = dependencies[name] ?? installedVersion(repoRoot, name);
  for (const a of unit.assets ?? []) cpSync(path.join(repoRoot, a), path.join(dir, a), { recursive: true });
  const pkg = {
    name: `verity-${unit.name}`,
    version: root.version,
    private: true,
    description:
      `Verity deploy unit ${unit.name} (functions-framework target "${unit.target}", ${unit.signature}). ` +
      'Generated by npm run build.',
    type: 'module',
    main,
    engines: { node: root.engines?.node ?? '>=22' },
    scripts: { start: `functions-framework --target=${unit.target} --signature-type=${unit.signature}` },
    dependencies: external,
  };
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const chunks = existsSync(path.join(dir, CHUNKS))
    ? readdirSync(path.join(dir, CHUNKS)).map((f) => `${CHUNKS}/${f}`)
    : [];
  return { unit, dir, main, files: [main, ...chunks, ...(unit.assets ?? [])], bundled: files, dependencies: external };
}

/** `export … from` and `import … from` of a sibling file (esbuild's static chunk imports), not `import()`. */
const STATIC_IMPORT_RE = /^(?:import|export|\}) (?:[^;]*? from )?["'](\.[^"']+)["'];$/gm;
/** esbuild names each bundled file in a comment line: `// node_modules/<package>/…` (maybe behind a relative path). */
const PACKAGE_COMMENT_RE = /^\/\/ \S*?node_modules\/((?:@[^/\s]+\/)?[^/\s]+)\//gm;

/**
 * What a deploy folder's entry loads before its first answer: the files its static imports reach (not those a
 * request loads with `import()`), their size, and the npm packages bundled in them.
 */
export function entryClosure(dir: string, main: string): { files: string[]; bytes: number; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  let bytes = 0;
  const queue = [main];
  while (queue.length > 0) {
    const rel = path.posix.normalize(queue.pop()!);
    if (files.has(rel)) continue;
    files.add(rel);
    const code = readFileSync(path.join(dir, rel), 'utf8');
    bytes += Buffer.byteLength(code);
    for (const m of code.matchAll(PACKAGE_COMMENT_RE)) packages.add(m[1]!);
    for (const m of code.matchAll(STATIC_IMPORT_RE)) queue.push(path.posix.join(path.posix.dirname(rel), m[1]!));
  }
  return { files: [...files].sort(), bytes, packages: [...packages].sort() };
}

export function packageAll(repoRoot: string, outRoot = path.join(repoRoot, 'build', 'functions')): PackagedUnit[] {
  rmSync(outRoot, { recursive: true, force: true });
  mkdirSync(outRoot, { recursive: true });
  return DEPLOY_UNITS.map((u) => packageUnit(repoRoot, u, outRoot));
}

const size = (dir: string, files: string[]): number => files.reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  try {
    for (const p of packageAll(repoRoot)) {
      const kib = (n: number): string => (n / 1024).toFixed(0);
      process.stdout.write(
        `build/functions/${p.unit.name}: one bundle of ${p.bundled.length} files and their packages, ` +
          `${kib(
            size(
              p.dir,
              p.files.filter((f) => f.endsWith('.js')),
            ),
          )} KiB, ` +
          `${kib(entryClosure(p.dir, p.main).bytes)} KiB of it loaded at start; ` +
          `outside it: ${Object.keys(p.dependencies).join(', ')}\n`,
      );
    }
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}
