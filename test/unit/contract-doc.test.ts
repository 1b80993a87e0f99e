/**
 * docs/contract.md stays true to the code: its paths exist; its routes are the OpenAPI document's operations
 * (all of them) and the API answers them; its error codes are ErrorCode's, each with its HTTP status; every
 * status, reason, cause code and topic of the code is on it; its ports are infra/local/ports.ts's defaults;
 * and the sections that code comments cite are its headings.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseEnv, REPO_ROOT } from '../../shared/src/config/env.js';
import {
  CAUSE_CODES,
  ErrorCode,
  JOB_STATUSES,
  ProjectStatus,
  Reason,
  Source,
  VerityError,
} from '../../shared/src/core/index.js';
import { httpStatusOf } from '../../functions/common/http.js';
import { match } from '../../functions/api/handler.js';
import { localApiDocument } from '../../functions/api/openapi/document.js';
import { deadLetterTopic, SUBSCRIPTIONS, TOPICS } from '../../functions/units.js';
import {
  DEFAULT_PORTS,
  DEFAULT_TEST_PORTS,
  PORT_ENV,
  PORT_NAMES,
  TEST_PORT_ENV,
  type PortName,
} from '../../infra/local/ports.js';

const PAGE = 'docs/contract.md';
const doc = readFileSync(path.join(REPO_ROOT, PAGE), 'utf8');
const prose = (text: string): string => text.replace(/```[\s\S]*?```/g, ''); // fenced blocks are examples
const names = (text: string): string[] => [...prose(text).matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
const code = names(doc);

/** The page's sections by heading (`## Errors` → its text up to the next `## `). */
const sections = new Map(
  doc
    .split(/^## /m)
    .slice(1)
    .map((s) => [s.slice(0, s.indexOf('\n')).trim(), s.slice(s.indexOf('\n') + 1)] as const),
);
function section(heading: string): string {
  const text = sections.get(heading);
  assert.ok(text !== undefined, `${PAGE} has no section "${heading}"`);
  return text;
}
/** The body rows of a section's Markdown tables, cells without their backticks (no header, no rule). */
function rows(text: string): string[][] {
  const lines = text.split('\n');
  const rule = (l: string | undefined): boolean => l !== undefined && /^\|[-| ]+\|$/.test(l);
  return lines
    .filter((l, i) => l.startsWith('|') && !rule(l) && !rule(lines[i + 1]))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim().replace(/^`|`$/g, '')),
    );
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}
const sourceFiles = ['shared/src', 'functions', 'infra'].flatMap((d) => sources(path.join(REPO_ROOT, d)));

describe('docs/contract.md', () => {
  it('names only paths that exist', () => {
    const paths = code.filter((c) => /^(shared|functions|infra|test|docs)\/[\w./-]*$/.test(c));
    assert.ok(paths.length >= 20, `found ${paths.length} paths`);
    assert.deepEqual(
      paths.filter((p) => !existsSync(path.join(REPO_ROOT, p))),
      [],
    );
  });

  it('names each code name where it is: `name` in `file`', () => {
    const pairs = [...prose(doc).matchAll(/`(\w+)`\s+(?:in\s+|\()`([\w./-]+\.ts)`/g)].map(
      (m) => [m[1]!, m[2]!] as const,
    );
    assert.ok(pairs.length >= 10, `found ${pairs.length} pairs`);
    const wrong = pairs.filter(([name, file]) => {
      const p = path.join(REPO_ROOT, file);
      return !existsSync(p) || !new RegExp(`\\b${name}\\b`).test(readFileSync(p, 'utf8'));
    });
    assert.deepEqual(wrong, []);
  });

  it('lists every operation of the OpenAPI document, and only those, each answered by the route table', () => {
    const document = localApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(document.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    const routes = code.filter((c) => /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \//.test(c));
    assert.ok(operations.length >= 20, `found ${operations.length} operations`);
    assert.deepEqual([...new Set(routes)].sort(), operations);
    const unanswered = routes.filter((r) => {
      const [method, p] = r.split(' ') as [string, string];
      const found = match(method, p.replace(/\{\w+\}/g, 'job-1'));
      return found === null || !('route' in found);
    });
    assert.deepEqual(unanswered, []);
  });

  it('lists every error code with its HTTP status, and no other code', () => {
    const table = rows(section('Errors'));
    const known = new Set<string>(Object.values(ErrorCode));
    const statusOf = (c: string): string => String(httpStatusOf(new VerityError(c as ErrorCode, '')));
    assert.deepEqual(
      table.filter(([c]) => !known.has(c!)).map(([c]) => c),
      [],
      'codes on the page that are not ErrorCode values',
    );
    assert.deepEqual(
      [...known].filter((c) => !table.some(([row]) => row === c)),
      [],
      'ErrorCode values missing from the "Errors" table',
    );
    assert.deepEqual(
      table.filter(([c, status]) => status !== statusOf(c!)).map(([c, s]) => `${c}: page ${s}, code ${statusOf(c!)}`),
      [],
    );
    // a code cited elsewhere on the page as `<status> <CODE>` is one too, with that status
    const cited = code.filter((c) => /^\d{3} [A-Z_]+$/.test(c));
    assert.ok(cited.length >= 5, `found ${cited.length} cited codes`);
    assert.deepEqual(
      cited.filter((c) => {
        const [status, name] = c.split(' ') as [string, string];
        return !known.has(name) || statusOf(name) !== status;
      }),
      [],
    );
  });

  it('names every job status, reason, source, project status and cause code', () => {
    const values = [
      ...JOB_STATUSES,
      ...Object.values(Reason),
      ...Object.values(Source),
      ...Object.values(ProjectStatus),
      ...CAUSE_CODES,
    ];
    assert.deepEqual(
      values.filter((v) => !code.includes(v)),
      [],
    );
    const causes = rows(section('Diagnosis causes')).map(([c]) => c!);
    assert.deepEqual(
      causes.filter((c) => !(CAUSE_CODES as readonly string[]).includes(c)),
      [],
      'cause codes on the page that are not CauseCode values',
    );
    assert.deepEqual(
      CAUSE_CODES.filter((c) => !causes.includes(c)),
      [],
    );
  });

  it('names only constants the code has (every UPPER_CASE name is in its sources)', () => {
    const texts = sourceFiles.map((f) => readFileSync(f, 'utf8'));
    const constants = [...new Set(code.filter((c) => /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(c)))];
    assert.ok(constants.length >= 30, `found ${constants.length} names`);
    assert.deepEqual(
      constants.filter((c) => !texts.some((t) => new RegExp(`\\b${c}\\b`).test(t))),
      [],
    );
  });

  it("names every topic and subscription of the code's configuration, and no other", () => {
    const env = parseEnv({ VERITY_PROFILE: 'local' });
    const topics = [...Object.values(TOPICS), env.eventsTopic, env.updatesTopic];
    const subscriptions = Object.values(SUBSCRIPTIONS).map((s) => s.name);
    const text = section('Topics and messages');
    const named = names(text);
    assert.deepEqual(
      [...topics, ...subscriptions].filter((t) => !named.includes(t)),
      [],
      'missing from "Topics and messages"',
    );
    const known = new Set([...topics, ...subscriptions, ...topics.map(deadLetterTopic)]);
    assert.deepEqual(
      named.filter((n) => /^verity-[a-z-]+$/.test(n) && !known.has(n)),
      [],
      'topics on the page the code does not have',
    );
  });

  it("lists the local and test stacks' ports as infra/local/ports.ts sets them", () => {
    const text = section('Local stack');
    const table = rows(text).filter(([name]) => (PORT_NAMES as readonly string[]).includes(name!));
    assert.deepEqual(table.map(([name]) => name).sort(), [...PORT_NAMES].sort(), 'one row per port');
    for (const [name, local, localEnv, test, testEnv] of table) {
      const n = name as PortName;
      assert.deepEqual(
        [Number(local), localEnv, Number(test), testEnv],
        [DEFAULT_PORTS[n], PORT_ENV[n], DEFAULT_TEST_PORTS[n], TEST_PORT_ENV[n]],
        `the ${n} row`,
      );
    }
    const defaults = new Set([...Object.values(DEFAULT_PORTS), ...Object.values(DEFAULT_TEST_PORTS)]);
    const numbers = names(text).filter((c) => /^\d{2,5}$/.test(c));
    assert.ok(numbers.length >= 2 * PORT_NAMES.length, `found ${numbers.length} ports`);
    assert.deepEqual(
      numbers.filter((p) => !defaults.has(Number(p))),
      [],
      'ports on the page that are no default',
    );
  });

  it('has every section a code comment cites, and every passage it quotes', () => {
    const flat = (t: string): string => t.replace(/\s+/g, ' ');
    const cited = sourceFiles.flatMap((f) => {
      const text = readFileSync(f, 'utf8').replace(/\n\s*(\*|\/\/)\s*/g, ' '); // comments joined across lines
      return [...text.matchAll(/(?:docs\/)?contract\.md(?:'s)?[,:]? \(?"([^"]+)"(?:: "([^"]+)")?/g)].map((m) => ({
        file: path.relative(REPO_ROOT, f),
        section: m[1]!,
        quote: m[2],
      }));
    });
    assert.ok(cited.length >= 8, `found ${cited.length} citations`);
    assert.deepEqual(
      cited.filter((c) => !sections.has(c.section)),
      [],
      'sections cited that the page does not have',
    );
    assert.deepEqual(
      cited.filter((c) => c.quote !== undefined && !flat(sections.get(c.section) ?? '').includes(c.quote)),
      [],
      'passages quoted that the section does not hold',
    );
  });
});
