/** Outputs outside Cloud Storage are declared in configuration (stores.ts): a type's templates are checked at load. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRegistry } from '../../shared/src/config/job-types.js';
import { parseEnv } from '../../shared/src/config/env.js';

const registry = (vars: Record<string, string>, templates: string[]) =>
  buildRegistry(
    parseEnv({
      ...process.env,
      VERITY_PROFILE: 'cloud',
      VERITY_BUCKET: 'verity-out',
      ...vars,
      VERITY_JOB_TYPES: JSON.stringify({
        voice: {
          executor: {
            kind: 'http',
            provider: 'voicecorp',
            baseUrl: 'https://api.voice.example',
            outputTemplates: templates,
          },
          outputsFromRequest: false,
        },
      }),
    }),
  );

const SPACES = JSON.stringify({ 'spaces-out': { endpoint: 'https://nyc3.digitaloceanspaces.com', region: 'nyc3' } });

describe('output stores in configuration', () => {
  it('an s3:// template in a configured bucket loads; in another bucket startup fails, naming it', () => {
    const ok = registry({ VERITY_S3_STORES: SPACES }, ['s3://spaces-out/{externalJobId}_output_0.mp4']);
    assert.ok(ok.get('voice'));
    assert.throws(
      () => registry({ VERITY_S3_STORES: SPACES }, ['s3://other/{externalJobId}.mp4']),
      /job type voice: outputTemplates: .*bucket other is not in VERITY_S3_STORES/,
    );
  });

  it('an https:// template needs its host configured; http:// is refused outside the local stack', () => {
    const hosts = JSON.stringify({ 'cdn.voice.example': { headers: { 'x-api-key': 'VOICE_CDN_KEY' } } });
    assert.ok(registry({ VERITY_HTTP_OUTPUT_HOSTS: hosts }, ['https://cdn.voice.example/{externalJobId}.mp4']));
    assert.throws(() => registry({}, ['https://cdn.voice.example/{externalJobId}.mp4']), /VERITY_HTTP_OUTPUT_HOSTS/);
    assert.throws(
      () => registry({ VERITY_HTTP_OUTPUT_HOSTS: hosts }, ['http://cdn.voice.example/{externalJobId}.mp4']),
      /not an https:\/\/ URL/,
    );
  });

  it('malformed store configuration fails at startup with the variable named', () => {
    assert.throws(() => parseEnv({ ...process.env, VERITY_S3_STORES: '{' }), /VERITY_S3_STORES is not JSON/);
    assert.throws(
      () => parseEnv({ ...process.env, VERITY_S3_STORES: JSON.stringify({ B: { region: 'x' } }) }),
      /VERITY_S3_STORES: B: /,
    );
    assert.throws(
      () => parseEnv({ ...process.env, VERITY_HTTP_OUTPUT_HOSTS: JSON.stringify({ h: { headers: { a: 'lower' } } }) }),
      /VERITY_HTTP_OUTPUT_HOSTS: .*environment variable name/,
    );
  });
});
