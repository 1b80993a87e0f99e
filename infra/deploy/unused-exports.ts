/**
 * Exports nothing imports: dead code that reads as if something used it. Builds the repo's TypeScript program
 * (tsconfig.json: sources, tests, benches, the soak) and, with the type checker, collects every symbol any
 * file refers to — an import, a re-export, a use in its own file — then reports each export of a source file
 * (shared/src, functions, infra) that nothing refers to. Entry points (a deploy unit's
 * index.ts, the CLI and scripts run by `node dist/...`) are named in ENTRY: their exports are their outside.
 *
 *   node dist/infra/deploy/unused-exports.js      prints them, exits 1 when there is any
 *
 * `test/unit/unused-exports.test.ts` runs it in `npm test`.
 */
import path from 'node:path';
import ts from 'typescript';

/** Files whose exports are used from outside the program (functions-framework, node, the CLI). */
const ENTRY = [
  /^functions\/[^/]+\/index\.ts$/,
  /^functions\/units\.ts$/,
  /^infra\/cli\/main\.ts$/,
  // the worker SDK: workers import it (docs/workers.md)
  /^shared\/src\/worker\//,
];
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
  // every symbol referred to anywhere but where it is declared (its own file counts: an exported Deps interface
  // its class takes, a schema its parser uses, is that module's surface, not dead code)
  const used = new Set<ts.Symbol>();
  /** What a name refers to beyond its own symbol: `{ a }` as a value, `const { a } = await import(...)`. */
  const indirect = (node: ts.Identifier): ts.Symbol[] => {
    const p = node.parent;
    if (ts.isShorthandPropertyAssignment(p)) return [checker.getShorthandAssignmentValueSymbol(p)].filter((x) => !!x);
    if (ts.isBindingElement(p) && ts.isObjectBindingPattern(p.parent)) {
      const key = p.propertyName && ts.isIdentifier(p.propertyName) ? p.propertyName.text : node.text;
      const prop = checker.getTypeAtLocation(p.parent).getProperty(key);
      return prop ? [prop] : [];
    }
    return [];
  };
  for (const file of files) {
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) {
        const s = checker.getSymbolAtLocation(node);
        const declaring = s?.declarations?.some((d) => (d as ts.NamedDeclaration).name === node);
        if (s && !declaring) {
          used.add(s);
          used.add(resolve(s));
        }
        for (const other of indirect(node)) {
          used.add(other);
          used.add(resolve(other));
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
