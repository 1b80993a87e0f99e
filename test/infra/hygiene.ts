/**
 * Checks of the Terraform that no code declares but that must hold: no secret value can reach the state,
 * the lifecycle rule deletes only the ephemeral prefixes the API refuses as outputs, and the dead-letter
 * limit is the one the local stack uses. Each problem is one line; none means it holds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { MAX_DELIVERY_ATTEMPTS } from '../../functions/units.js';
import { LIFECYCLE_PREFIXES } from '../../shared/src/evidence/ephemeral.js';

type Json = Record<string, unknown>;

const { parse } = createRequire(import.meta.url)('@cdktf/hcl2json') as {
  parse(filename: string, contents: string): Promise<unknown>;
};

/** One .tf file's text, parsed. */
export async function parseText(file: string, text: string): Promise<Json> {
  return (await parse(file, text)) as Json;
}

/** Every .tf file of a directory, parsed as written (blocks as arrays, expressions as "${…}" strings). */
export async function parseFiles(dir: string): Promise<Record<string, Json>> {
  const out: Record<string, Json> = {};
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort()) {
    out[file] = (await parse(file, readFileSync(path.join(dir, file), 'utf8'))) as Json;
  }
  return out;
}

const blocks = (x: unknown): Json[] =>
  Array.isArray(x) ? (x as Json[]) : x && typeof x === 'object' ? [x as Json] : [];

/** Paths (file:a.b.c) of every attribute whose name matches, at any depth. */
function attributesNamed(files: Record<string, Json>, name: RegExp): string[] {
  const found: string[] = [];
  const walk = (node: unknown, at: string): void => {
    if (Array.isArray(node)) node.forEach((n) => walk(n, at));
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (name.test(k)) found.push(`${at}.${k}`);
        walk(v, `${at}.${k}`);
      }
    }
  };
  for (const [file, json] of Object.entries(files)) walk(json, file);
  return found;
}

/** Resource and data types that would copy a secret's value into the state. */
const VALUE_TYPES = /^google_(regional_)?secret_manager_(regional_)?secret_version$/;

/** No secret value in the state: no version resource or data source, no secret_data, no sensitive variable. */
export function secretProblems(files: Record<string, Json>): string[] {
  const problems: string[] = [];
  for (const [file, json] of Object.entries(files)) {
    for (const kind of ['resource', 'data'] as const) {
      for (const type of Object.keys((json[kind] ?? {}) as Json)) {
        if (VALUE_TYPES.test(type))
          problems.push(`${file}: ${kind} ${type} puts a secret's value in the Terraform state`);
      }
    }
    for (const [name, vs] of Object.entries((json.variable ?? {}) as Json)) {
      if (blocks(vs).some((v) => v.sensitive === true)) {
        problems.push(
          `${file}: variable ${name} is sensitive — secret values are added with gcloud secrets versions add, never passed to Terraform`,
        );
      }
    }
  }
  for (const p of attributesNamed(files, /^secret_data/))
    problems.push(`${p}: a secret value in Terraform lands in its state`);
  return problems;
}

/** The module declares each secret, grants it, and the functions read version `latest`. */
export function secretWiringProblems(files: Record<string, Json>): string[] {
  const problems: string[] = [];
  const all = Object.values(files);
  const resources = (type: string): Record<string, Json> =>
    Object.assign(
      {},
      ...all.map((j) => ((j.resource ?? {}) as Record<string, Record<string, Json[]>>)[type] ?? {}),
    ) as Record<string, Json>;
  const secret = blocks(resources('google_secret_manager_secret').secret)[0];
  if (secret?.for_each !== '${local.secrets}') problems.push('no google_secret_manager_secret per local.secrets');
  if (Object.keys(resources('google_secret_manager_secret_iam_member')).length === 0)
    problems.push('no IAM grant on the secrets');
  const fn = blocks(resources('google_cloudfunctions2_function').unit)[0];
  const dyn = blocks(blocks(fn?.service_config)[0]?.dynamic)[0];
  const content = blocks(blocks(dyn?.secret_environment_variables)[0]?.content)[0];
  if (content?.version !== 'latest')
    problems.push(`functions read secret version ${String(content?.version)}, not latest`);
  return problems;
}

/**
 * The output buckets' Delete rules match only LIFECYCLE_PREFIXES (each rule some of them, every one by some
 * rule), nothing else: what a request or a type may never declare as an output (shared/src/evidence/ephemeral.ts).
 */
export function lifecycleProblems(files: Record<string, Json>): string[] {
  const problems: string[] = [];
  const buckets = Object.values(files).flatMap((j) =>
    Object.entries(((j.resource ?? {}) as Record<string, Record<string, Json[]>>).google_storage_bucket ?? {}),
  );
  const want = [...LIFECYCLE_PREFIXES].sort().join(', ');
  for (const [name, bs] of buckets) {
    const covered = new Set<string>();
    const rules = blocks(blocks(bs)[0]?.lifecycle_rule);
    for (const rule of rules) {
      if (!blocks(rule.action).some((a) => a.type === 'Delete')) continue;
      const prefixes = blocks(rule.condition).flatMap(
        (c) => ((c.matches_prefix ?? null) as string[] | null) ?? ['(every object)'],
      );
      prefixes.forEach((p) => covered.add(p));
      const outside = prefixes.filter((p) => !(LIFECYCLE_PREFIXES as readonly string[]).includes(p));
      if (outside.length > 0 || prefixes.length === 0)
        problems.push(
          `bucket ${name}: a Delete rule matches ${prefixes.join(', ')}; only ${want} (shared/src/evidence/ephemeral.ts) may be deleted`,
        );
    }
    if (
      rules.length > 0 &&
      [...covered]
        .filter((p) => p !== '(every object)')
        .sort()
        .join(', ') !== want
    )
      problems.push(`bucket ${name}: the Delete rules cover ${[...covered].sort().join(', ')}, not ${want}`);
  }
  if (buckets.length === 0) problems.push('no google_storage_bucket');
  return problems;
}

/** Every dead-letter policy gives up after MAX_DELIVERY_ATTEMPTS, like the local stack. */
export function deliveryProblems(files: Record<string, Json>): string[] {
  const subs = Object.values(files).flatMap((j) =>
    Object.entries(((j.resource ?? {}) as Record<string, Record<string, Json[]>>).google_pubsub_subscription ?? {}),
  );
  const problems: string[] = [];
  let policies = 0;
  for (const [name, s] of subs) {
    for (const p of blocks(blocks(s)[0]?.dead_letter_policy)) {
      policies++;
      if (p.max_delivery_attempts !== MAX_DELIVERY_ATTEMPTS) {
        problems.push(
          `subscription ${name}: max_delivery_attempts ${String(p.max_delivery_attempts)} ` +
            `≠ MAX_DELIVERY_ATTEMPTS ${MAX_DELIVERY_ATTEMPTS}`,
        );
      }
    }
  }
  if (policies === 0) problems.push('no dead-letter policy');
  return problems;
}

/** Every grant to a worker's account on a bucket is conditioned on object-name prefixes (least privilege). */
export function workerGrantProblems(files: Record<string, Json>): string[] {
  const problems: string[] = [];
  for (const j of Object.values(files)) {
    const grants =
      ((j.resource ?? {}) as Record<string, Record<string, Json[]>>).google_storage_bucket_iam_member ?? {};
    for (const [name, bs] of Object.entries(grants)) {
      const b = blocks(bs)[0];
      if (!String(b?.member ?? '').includes('google_service_account.worker')) continue;
      const expression = String(blocks(b?.condition)[0]?.expression ?? '');
      if (!expression.includes('resource.name.startsWith('))
        problems.push(
          `google_storage_bucket_iam_member.${name}: a worker's bucket grant without an object-name condition`,
        );
    }
  }
  return problems;
}
