/**
 * Do code and infrastructure agree? Parses the Terraform module (HashiCorp's HCL parser, @cdktf/hcl2json)
 * and compares it with what the code declares: deploy units and their entry points, needs (IAM roles),
 * environment variables, Firestore indexes and TTL policies, topics and push subscriptions. Each problem is
 * one line; none means they agree. Run by `npm test` (test/infra/deploy.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { missingCloudEnv } from '../../functions/common/boot.js';
import {
  DEPLOY_UNITS,
  NEED_ROLES,
  NEEDS,
  requiredEnv,
  SUBSCRIPTIONS,
  TOPICS,
  deadLetterTopic,
  type DeployUnit,
} from '../../functions/units.js';
import { INDEXES, TTL_POLICIES, type IndexSpec } from '../../shared/src/store/indexes.js';
import { INDEX_EXEMPTIONS } from '../../shared/src/store/index-load.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Loaded through require: its type declarations pull in the DOM lib, which would retype fetch everywhere.
const { parse } = createRequire(import.meta.url)('@cdktf/hcl2json') as {
  parse(filename: string, contents: string): Promise<unknown>;
};

export interface Terraform {
  locals: Json;
  resources: Record<string, Record<string, Json>>;
  data: Record<string, Record<string, Json>>;
}

/** Parses every .tf file of a directory into one view: merged locals, resources by type and name. */
export async function parseTerraformDir(dir: string): Promise<Terraform> {
  const tf: Terraform = { locals: {}, resources: {}, data: {} };
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort()) {
    const json = (await parse(file, readFileSync(path.join(dir, file), 'utf8'))) as Json;
    for (const block of (json.locals ?? []) as Json[]) Object.assign(tf.locals, block);
    for (const [kind, target] of [
      ['resource', tf.resources],
      ['data', tf.data],
    ] as const) {
      for (const [type, byName] of Object.entries((json[kind] ?? {}) as Record<string, Record<string, Json[]>>)) {
        for (const [name, blocks] of Object.entries(byName)) (target[type] ??= {})[name] = blocks[0]!;
      }
    }
  }
  return tf;
}

const first = (x: unknown): Json => (Array.isArray(x) ? (x[0] as Json) : (x as Json)) ?? {};
const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

function indexKey(
  collection: string,
  scope: string,
  fields: { field: string; order?: string; array_config?: string }[],
): string {
  return `${collection}/${scope}: ${fields.map((f) => `${f.field} ${f.array_config ?? f.order}`).join(', ')}`;
}

/** Stand-in values for interpolated variables, to boot a unit's env check in the cloud profile. */
function sampleValue(name: string, value: unknown): string {
  if (typeof value === 'string' && !value.includes('${')) return value;
  if (/_URL$|AUDIENCE$/.test(name)) return 'https://example.test/verity';
  const maps = ['VERITY_JOB_TYPES', 'VERITY_WEBHOOK_SECRETS', 'VERITY_PROVIDER_KEYS', 'VERITY_S3_STORES'];
  if (maps.includes(name) || name === 'VERITY_HTTP_OUTPUT_HOSTS') return '{}';
  if (name === 'VERITY_PROJECT_JOB_TYPE') return ''; // the module's default: none
  if (name === 'VERITY_ALLOWED_USERS') return 'ops@example.com,domain:example.com';
  if (name === 'VERITY_WORKER_KEY') return 'a-worker-key-of-32-characters-or-more';
  if (typeof value === 'string' && value.startsWith('${tostring(var.')) return '7'; // a number variable (quotas)
  return 'sample-value';
}

/** The environment Terraform gives a unit: common, its own, and its secrets. */
export function terraformEnv(tf: Terraform, unit: string): Record<string, string> {
  const env: Record<string, string> = {};
  const common = (tf.locals.common_env ?? {}) as Json;
  const own = ((tf.locals.unit_env ?? {}) as Json)[unit] ?? {};
  for (const [k, v] of Object.entries({ ...common, ...own })) env[k] = sampleValue(k, v);
  for (const k of ((tf.locals.units ?? {}) as Json)[unit]?.secret_env ?? []) env[k] = sampleValue(k, undefined);
  return env;
}

export function checkTerraform(tf: Terraform, units: readonly DeployUnit[] = DEPLOY_UNITS): string[] {
  const problems: string[] = [];
  const tfUnits = (tf.locals.units ?? {}) as Record<string, Json>;
  const fn = tf.resources.google_cloudfunctions2_function?.unit;

  // deploy units ↔ functions
  for (const u of units) {
    const t = tfUnits[u.name];
    if (!t) {
      problems.push(`deploy unit ${u.name} has no entry in local.units (no function)`);
      continue;
    }
    if (t.entry_point !== u.target)
      problems.push(`unit ${u.name}: entry_point ${String(t.entry_point)} ≠ target ${u.target}`);
    if (t.trigger !== u.trigger.kind) problems.push(`unit ${u.name}: trigger ${String(t.trigger)} ≠ ${u.trigger.kind}`);
    if (!sameSet(t.needs ?? [], u.needs))
      problems.push(`unit ${u.name}: needs [${String(t.needs)}] ≠ code's [${u.needs.join(',')}]`);
    if (!sameSet(t.secret_env ?? [], u.secretEnv))
      problems.push(`unit ${u.name}: secret_env [${String(t.secret_env)}] ≠ code's [${u.secretEnv.join(',')}]`);
    const missing = missingCloudEnv(u.name, terraformEnv(tf, u.name));
    if (missing.length > 0)
      problems.push(`unit ${u.name}: environment variables not set by Terraform: ${missing.join(', ')}`);
    for (const k of requiredEnv(u)) if (!(k in terraformEnv(tf, u.name))) problems.push(`unit ${u.name}: ${k} not set`);
  }
  for (const name of Object.keys(tfUnits))
    if (!units.some((u) => u.name === name)) problems.push(`local.units has ${name}, which no deploy unit in code is`);
  if (!fn) problems.push('no google_cloudfunctions2_function.unit resource');
  else {
    const sc = first(fn.service_config);
    const bc = first(fn.build_config);
    if (fn.for_each !== '${local.units}') problems.push('the functions are not one per local.units entry');
    if (bc.entry_point !== '${each.value.entry_point}') problems.push('a function’s entry_point is not its unit’s');
    if (sc.environment_variables !== '${merge(local.common_env, local.unit_env[each.key])}')
      problems.push('function env is not merge(local.common_env, local.unit_env[each.key])');
    if (sc.service_account_email !== '${google_service_account.unit[each.key].email}')
      problems.push('a function does not run as its own service account');
    if (!first(fn.service_config).dynamic?.secret_environment_variables)
      problems.push('functions get no secret environment variables');
  }
  const archive = tf.data.archive_file?.unit;
  if (archive?.source_dir !== '${var.build_dir}/${each.key}')
    problems.push('function sources are not the build/functions/<unit> folders');
  if (tf.resources.google_service_account?.unit?.for_each !== '${local.units}')
    problems.push('no service account per unit');

  // permissions: each need granted with its role, to the units that have it
  const needRoles = (tf.locals.need_roles ?? {}) as Record<string, string>;
  const allResources = Object.entries(tf.resources).flatMap(([type, byName]) =>
    Object.entries(byName).map(([name, r]) => ({ id: `${type}.${name}`, r })),
  );
  for (const need of Object.values(NEEDS)) {
    if (needRoles[need] !== NEED_ROLES[need])
      problems.push(`need ${need}: local.need_roles says ${String(needRoles[need])}, code ${NEED_ROLES[need]}`);
    const grants = allResources.filter(({ r }) => r.role === `\${local.need_roles["${need}"]}`);
    if (grants.length === 0) problems.push(`need ${need}: no IAM resource grants local.need_roles["${need}"]`);
    for (const { id, r } of grants) {
      const forEach = String(r.for_each ?? '');
      const viaLocal = /^\$\{local\.(\w+)\}$/.exec(forEach)?.[1];
      const source = viaLocal ? String(tf.locals[viaLocal] ?? '') : forEach;
      if (!source.includes(`units_needing["${need}"]`))
        problems.push(`${id}: not granted per local.units_needing["${need}"]`);
    }
  }
  const invokers = tf.resources.google_cloud_run_service_iam_member ?? {};
  for (const kind of new Set(units.map((u) => u.trigger.kind))) {
    const found = Object.values(invokers).some(
      (r) => String(r.for_each).includes(`c.trigger == "${kind}"`) && r.role === 'roles/run.invoker',
    );
    if (!found) problems.push(`no run.invoker grant for the ${kind} units`);
  }
  if (!units.some((u) => u.trigger.kind === 'scheduler') || tf.resources.google_cloud_scheduler_job) {
    const sched = Object.values(tf.resources.google_cloud_scheduler_job ?? {})[0];
    if (
      units.some((u) => u.trigger.kind === 'scheduler') &&
      !first(first(sched?.http_target).oidc_token).service_account_email
    )
      problems.push('the scheduler job sends no OIDC token');
  } else problems.push('a unit is scheduled but there is no google_cloud_scheduler_job');

  // Firestore: every index the queries need, no index they don't, and the TTL policies
  const want = new Set(
    Object.values(INDEXES)
      .flat()
      .map((i: IndexSpec) =>
        indexKey(
          i.collectionGroup,
          i.queryScope,
          i.fields.map((f) => ({
            field: f.fieldPath,
            ...(f.order ? { order: f.order } : {}),
            ...(f.arrayConfig ? { array_config: f.arrayConfig } : {}),
          })),
        ),
      ),
  );
  const have = new Set(
    ((tf.locals.firestore_indexes ?? []) as Json[]).map((i) => indexKey(i.collection, i.scope, i.fields)),
  );
  for (const k of want) if (!have.has(k)) problems.push(`Firestore index missing: ${k}`);
  for (const k of have) if (!want.has(k)) problems.push(`Firestore index no query needs: ${k}`);
  if (tf.resources.google_firestore_index?.composite?.for_each !== '${local.composite_indexes}')
    problems.push('composite indexes are not created from local.composite_indexes');
  if (tf.resources.google_firestore_field?.collection_group?.for_each !== '${local.single_field_overrides}')
    problems.push('collection-group field indexes are not created from local.single_field_overrides');
  const ttl = (tf.locals.ttl_fields ?? {}) as Record<string, string>;
  for (const p of TTL_POLICIES)
    if (ttl[p.collectionGroup] !== p.field) problems.push(`TTL policy missing: ${p.collectionGroup}.${p.field}`);
  for (const c of Object.keys(ttl))
    if (!TTL_POLICIES.some((p) => p.collectionGroup === c)) problems.push(`TTL policy the code does not use: ${c}`);
  if (!tf.resources.google_firestore_field?.ttl?.ttl_config) problems.push('no google_firestore_field with ttl_config');
  // single-field index exemptions (issue 32): the same fields as the code's INDEX_EXEMPTIONS, each unindexed
  const off = new Set(
    Object.entries((tf.locals.unindexed ?? {}) as Record<string, string[]>).flatMap(([c, fs]) =>
      fs.map((f) => `${c}.${f}`),
    ),
  );
  const listed = new Set(Object.entries(INDEX_EXEMPTIONS).flatMap(([c, fs]) => fs.map((f) => `${c}.${f}`)));
  for (const f of listed) if (!off.has(f)) problems.push(`index exemption missing: ${f}`);
  for (const f of off) if (!listed.has(f)) problems.push(`index exemption the code does not list: ${f}`);
  if (tf.resources.google_firestore_field?.unindexed?.for_each !== '${local.unindexed_fields}')
    problems.push('exemptions are not created from local.unindexed_fields');
  // where the state lives (issue 30): every index and field follows the prefix into the configured database
  const located = [
    ['composite index', tf.resources.google_firestore_index?.composite],
    ['collection-group field index', tf.resources.google_firestore_field?.collection_group],
    ['TTL policy', tf.resources.google_firestore_field?.ttl],
  ] as const;
  for (const [what, r] of located) {
    if (!String(r?.collection ?? '').startsWith('${var.collection_prefix}'))
      problems.push(`the ${what} does not follow var.collection_prefix`);
    if (r?.database !== '${local.database}') problems.push(`the ${what} is not in local.database`);
  }
  const env = (tf.locals.common_env ?? {}) as Record<string, string>;
  if (env.VERITY_COLLECTION_PREFIX !== '${var.collection_prefix}')
    problems.push('VERITY_COLLECTION_PREFIX is not var.collection_prefix');
  if (env.VERITY_FIRESTORE_DATABASE !== '${var.firestore_database}')
    problems.push('VERITY_FIRESTORE_DATABASE is not var.firestore_database');

  // the log-based metrics read the transition log line (reconciler.ts: message "transition", type, to, reason, source)
  const endings = first(tf.resources.google_logging_metric?.job_endings);
  const extract = (endings.label_extractors ?? {}) as Record<string, string>;
  if (!String(endings.filter ?? '').includes('jsonPayload.message="transition"'))
    problems.push('the job_endings metric does not count the transition log line');
  if (extract.job_type !== 'EXTRACT(jsonPayload.type)' || extract.outcome !== 'EXTRACT(jsonPayload.to)')
    problems.push('the job_endings metric does not label by the logged type and outcome');
  if (
    !JSON.stringify(tf.resources.google_monitoring_alert_policy?.failure_rate ?? '').includes('user_verity_job_endings')
  )
    problems.push('no failure-rate alert on the job_endings metric');

  // topics and subscriptions
  const topics = Object.values((tf.locals.topics ?? {}) as Record<string, string>);
  for (const t of Object.values(TOPICS)) if (!topics.includes(t)) problems.push(`topic ${t} is not created`);
  for (const t of topics)
    if (!(Object.values(TOPICS) as string[]).includes(t)) problems.push(`topic ${t} is not one the code uses`);
  const subs = (tf.locals.push_subscriptions ?? {}) as Record<string, { topic: string; unit: string }>;
  for (const u of units) {
    if (u.trigger.kind !== 'pubsub-push') continue;
    const s = SUBSCRIPTIONS[u.trigger.subscription];
    const t = subs[s.name];
    if (!t) problems.push(`push subscription ${s.name} (→ ${u.name}) is not created`);
    else if (t.topic !== s.topic || t.unit !== u.name)
      problems.push(`push subscription ${s.name}: ${t.topic} → ${t.unit}, code says ${s.topic} → ${u.name}`);
  }
  const push = tf.resources.google_pubsub_subscription?.push;
  if (!push || push.for_each !== '${local.push_subscriptions}')
    problems.push('push subscriptions are not created from local.push_subscriptions');
  else {
    if (!first(push.retry_policy).minimum_backoff) problems.push('push subscriptions have no retry policy');
    if (!first(push.dead_letter_policy).dead_letter_topic)
      problems.push('push subscriptions have no dead-letter topic');
    if (!first(first(push.push_config).oidc_token).service_account_email)
      problems.push('push subscriptions send no OIDC token');
  }
  const dlqName = String(tf.resources.google_pubsub_topic?.dead_letter?.name ?? '');
  if (dlqName.replace('${each.value.topic}', 'T') !== deadLetterTopic('T'))
    problems.push(`dead-letter topics are named ${dlqName}, code expects ${deadLetterTopic('<topic>')}`);
  const common = (tf.locals.common_env ?? {}) as Record<string, string>;
  if (
    common.VERITY_EVENTS_TOPIC !== '${local.topics.job_events}' ||
    (tf.locals.topics as Json)?.job_events !== TOPICS.jobEvents
  )
    problems.push('VERITY_EVENTS_TOPIC is not the events topic');
  if (
    common.VERITY_UPDATES_TOPIC !== '${local.topics.job_updates}' ||
    (tf.locals.topics as Json)?.job_updates !== TOPICS.jobUpdates
  )
    problems.push('VERITY_UPDATES_TOPIC is not the updates topic');
  return problems;
}
