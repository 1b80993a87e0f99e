/**
 * The Terraform keeps secrets out of its state, deletes only ephemeral objects, and dead-letters after the
 * same number of deliveries as the local stack — and each check would notice the opposite.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import {
  deliveryProblems,
  lifecycleProblems,
  parseFiles,
  parseText,
  secretProblems,
  secretWiringProblems,
  workerGrantProblems,
} from './hygiene.js';

type Files = Awaited<ReturnType<typeof parseFiles>>;
const MODULE = path.join(REPO_ROOT, 'infra/terraform/modules/verity');
const EXAMPLE = path.join(REPO_ROOT, 'infra/terraform/examples/basic');

let mod: Files;
let example: Files;
before(async () => {
  [mod, example] = await Promise.all([parseFiles(MODULE), parseFiles(EXAMPLE)]);
});

/** A copy of `files` with one more file. */
async function withFile(files: Files, text: string): Promise<Files> {
  return { ...structuredClone(files), 'added.tf': await parseText('added.tf', text) };
}

describe('secrets stay out of the Terraform state', () => {
  it('the module and the example root have no secret version, no secret_data, no sensitive variable', () => {
    assert.deepEqual(secretProblems(mod), []);
    assert.deepEqual(secretProblems(example), []);
  });

  it('the module declares the secrets and their IAM; the functions read version latest', () => {
    assert.deepEqual(secretWiringProblems(mod), []);
  });

  const bad: [string, string, RegExp][] = [
    [
      'a secret version resource',
      'resource "google_secret_manager_secret_version" "v" {\n  secret = "s"\n  secret_data = "x"\n}\n',
      /resource google_secret_manager_secret_version puts a secret's value in the Terraform state/,
    ],
    [
      'a secret version read by a data source',
      'data "google_secret_manager_secret_version" "v" {\n  secret = "s"\n}\n',
      /data google_secret_manager_secret_version/,
    ],
    [
      'secret_data anywhere',
      'resource "google_other" "x" {\n  nested {\n    secret_data = "x"\n  }\n}\n',
      /added\.tf\.resource.*secret_data/,
    ],
    [
      'a sensitive variable',
      'variable "webhook_secrets" {\n  type      = map(string)\n  sensitive = true\n}\n',
      /variable webhook_secrets is sensitive/,
    ],
  ];
  for (const [what, text, expected] of bad) {
    it(`notices ${what}`, async () => {
      const problems = secretProblems(await withFile(mod, text));
      assert.ok(
        problems.some((p) => expected.test(p)),
        `expected ${String(expected)} in:\n${problems.join('\n')}`,
      );
    });
  }

  it('notices functions pinned to another version', () => {
    const files = structuredClone(mod);
    const fn = JSON.stringify(files['functions.tf']).replace('"version":"latest"', '"version":"1"');
    files['functions.tf'] = JSON.parse(fn) as Files[string];
    assert.match(secretWiringProblems(files).join('\n'), /read secret version 1, not latest/);
  });
});

describe('the lifecycle rules delete only LIFECYCLE_PREFIXES', () => {
  it('the output buckets: tmp/ and proxy/ by one rule, ckpt/ by another (shared/src/evidence/ephemeral.ts)', () => {
    assert.deepEqual(lifecycleProblems(mod), []);
  });

  it('notices another prefix, one left out, or a Delete rule without prefixes', async () => {
    const wider = JSON.parse(JSON.stringify(mod['storage.tf']).replace('"proxy/"', '"renders/"')) as Files[string];
    assert.match(
      lifecycleProblems({ ...mod, 'storage.tf': wider }).join('\n'),
      /matches tmp\/, renders\/; only ckpt\/, proxy\/, tmp\//,
    );
    assert.match(
      lifecycleProblems({ ...mod, 'storage.tf': wider }).join('\n'),
      /the Delete rules cover ckpt\/, renders\/, tmp\/, not ckpt\/, proxy\/, tmp\//,
    );
    const all = await withFile(
      mod,
      'resource "google_storage_bucket" "b" {\n  lifecycle_rule {\n    condition {\n      age = 1\n    }\n' +
        '    action {\n      type = "Delete"\n    }\n  }\n}\n',
    );
    assert.match(lifecycleProblems(all).join('\n'), /bucket b: a Delete rule matches \(every object\)/);
  });
});

describe('dead letters after MAX_DELIVERY_ATTEMPTS (functions/units.ts), as in the local stack', () => {
  it('every dead-letter policy of the module says so', () => {
    assert.deepEqual(deliveryProblems(mod), []);
  });

  it('notices another number', () => {
    const other = JSON.parse(
      JSON.stringify(mod['pubsub.tf']).replace('"max_delivery_attempts":10', '"max_delivery_attempts":5'),
    ) as Files[string];
    assert.match(
      deliveryProblems({ ...mod, 'pubsub.tf': other }).join('\n'),
      /max_delivery_attempts 5 ≠ MAX_DELIVERY_ATTEMPTS 10/,
    );
  });
});

describe('workers get least privilege', () => {
  it('every grant to a worker account on a bucket is conditioned on object-name prefixes', () => {
    assert.deepEqual(workerGrantProblems(mod), []);
  });

  it('the check notices a worker granted a whole bucket', async () => {
    const loose = await withFile(
      mod,
      'resource "google_storage_bucket_iam_member" "loose" {\n  bucket = "b"\n  role   = "roles/storage.objectUser"\n' +
        '  member = "serviceAccount:${google_service_account.worker_type["x"].email}"\n}\n',
    );
    assert.match(
      workerGrantProblems(loose).join('\n'),
      /loose: a worker's bucket grant without an object-name condition/,
    );
  });
});
