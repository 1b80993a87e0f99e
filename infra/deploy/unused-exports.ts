/**
 * Exports nothing imports: dead code that reads as if something used it. Builds the repo's TypeScript program
 * (tsconfig.json: sources, tests, benches, the soak) and, with the type checker, collects every symbol any
 * file refers to from another file — an import, a re-export, a namespace member — then reports each export of
 * a source file (shared/src, functions, infra) that no other file refers to. Entry points (a deploy unit's
 * index.ts, the CLI and scripts run by `node dist/...`) are named in ENTRY: their exports are their outside.
 *
 *   node dist/infra/deploy/unused-exports.js      prints them, exits 1 when there is any
 *
 * `test/unit/unused-exports.test.ts` runs it in `npm test`.
 */
import path from 'node:path';
import ts from 'typescript';

/** Files whose exports are used from outside the program (functions-framework, node, the CLI). */
const ENTRY = [/^functions\/[^/]+\/index\.ts$/, /^functions\/units\.ts$/, /^infra\/cli\/main\.ts$/];
/** Where dead exports are looked for: the product (tests and benches only use it). */
const CHECKED = /^(shared\/src|functions|infra)\//;

export interface UnusedExport {
  file: string;
  name: string;
}

export function findUnusedExports(repoRoot: string): UnusedExport[] {
  const configPath = path.join(repoRoot, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, repoRoot);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
  const checker = program.getTypeChecker();
  const rel = (f: ts.SourceFile): string => path.relative(repoRoot, f.fileName).split(path.sep).join('/');
  const files = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !rel(f).startsWith('..'));

  const resolve = (s: ts.Symbol): ts.Symbol => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  // every symbol referred to from a file other than the one that declares it
  const used = new Set<ts.Symbol>();
  for (const file of files) {
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) {
        const s = checker.getSymbolAtLocation(node);
        if (s) {
          for (const sym of [s, resolve(s)]) {
            const declaredIn = sym.declarations?.map((d) => d.getSourceFile());
            if (declaredIn && !declaredIn.includes(file)) used.add(sym);
          }
          // `import { a } from`, `export { a } from`: the alias and what it names
          if (s.flags & ts.SymbolFlags.Alias) used.add(resolve(s));
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }

  const out: UnusedExport[] = [];
  for (const file of files) {
    const name = rel(file);
    if (!CHECKED.test(name) || ENTRY.some((e) => e.test(name))) continue;
    const moduleSymbol = checker.getSymbolAtLocation(file);
    if (!moduleSymbol) continue;
    for (const exp of checker.getExportsOfModule(moduleSymbol)) {
      const target = resolve(exp);
      // a re-export of another module's symbol is that symbol's business (an index.ts)
      if (target.declarations?.some((d) => d.getSourceFile() !== file)) continue;
      if (!used.has(target) && !used.has(exp)) out.push({ file: name, name: exp.getName() });
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.name.localeCompare(b.name));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
  const unused = findUnusedExports(root);
  for (const u of unused) process.stdout.write(`${u.file}: ${u.name}\n`);
  process.stdout.write(`${unused.length} unused export(s)\n`);
  process.exit(unused.length > 0 ? 1 : 0);
}
