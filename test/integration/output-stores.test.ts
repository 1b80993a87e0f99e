/**
 * Outputs outside Cloud Storage (issue 28): the output probe asks an S3-compatible store (gofakes3, installed by
 * the project's scripts at a pinned version, spoken to by the official AWS SDK v3) and HTTPS hosts (plain HTTP on
 * the local stack) whether each output exists — size, etag, last modified — and refuses what configuration does
 * not name: an unknown bucket or host, a redirect to another host.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Storage } from '@google-cloud/storage';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { createGcsOutputProbe, type OutputProbe } from '../../shared/src/evidence/outputs.js';
import { createHttpHead, createS3Head } from '../../shared/src/evidence/store-probes.js';
import { outsideStores, type HttpHosts } from '../../shared/src/evidence/stores.js';
import { parseGcsUri } from '../../shared/src/evidence/gcs-uri.js';
import { startFakeS3, type RunningService } from '../../infra/local/emulators.js';
import { ensureGoTool, GOFAKES3 } from '../../infra/local/tools.js';
import { freePort } from '../helpers/processes.js';

const BUCKET = 'spaces-out';
const env = { S3_KEY: 'verity-test', S3_SECRET: 'verity-test-secret', OUT_TOKEN: 'sesame' };
let s3: RunningService;
let redirector: Server;
let redirectHost: string;
let probe: OutputProbe;
let put: (key: string, body: string) => Promise<void>;
const seenHeaders: string[] = [];

before(async () => {
  const binary = await ensureGoTool(REPO_ROOT, GOFAKES3);
  s3 = await startFakeS3({
    host: '127.0.0.1',
    port: await freePort(),
    logDir: path.join(os.tmpdir(), 'verity-fake-s3'),
    binary,
    bucket: BUCKET,
  });
  const client = new S3Client({
    endpoint: s3.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: env.S3_KEY, secretAccessKey: env.S3_SECRET },
  });
  put = async (key, body) => {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  };
  // a host that redirects: to itself (followed), to the S3 server (another host: refused)
  redirector = createServer((req, res) => {
    seenHeaders.push(String(req.headers['x-out-token'] ?? ''));
    if (req.url === '/same') res.writeHead(302, { location: '/here' }).end();
    else if (req.url === '/here') res.writeHead(200, { 'content-length': '3', etag: '"h1"' }).end();
    else res.writeHead(302, { location: `${s3.url}/${BUCKET}/a.mp4` }).end();
  });
  const port = await freePort();
  await new Promise<void>((resolve) => redirector.listen(port, '127.0.0.1', resolve));
  redirectHost = `127.0.0.1:${port}`;
  const stores = {
    [BUCKET]: {
      endpoint: s3.url,
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyIdEnv: 'S3_KEY',
      secretAccessKeyEnv: 'S3_SECRET',
    },
  };
  const hosts: HttpHosts = {
    [s3.hostPort]: { headers: {} },
    [redirectHost]: { headers: { 'x-out-token': 'OUT_TOKEN' } },
  };
  probe = createGcsOutputProbe(new Storage({ apiEndpoint: 'http://127.0.0.1:1', projectId: 'x' }), {
    s3: createS3Head(stores, env),
    https: createHttpHead(hosts, true, env),
    timeoutMs: 5000,
  });
});
after(async () => {
  await s3?.stop();
  redirector?.close();
});

describe('outputs in an S3-compatible store and at HTTP(S) URLs', () => {
  it('s3://: a present object is seen with its size and etag; a missing one is absent', async () => {
    await put('jobs/ext-1_output_0.mp4', 'video!');
    const r = await probe.probe([`s3://${BUCKET}/jobs/ext-1_output_0.mp4`, `s3://${BUCKET}/jobs/none.mp4`]);
    assert.deepEqual(r.errors, []);
    const [hit, miss] = r.observations;
    assert.equal(hit!.exists, true);
    assert.equal(hit!.size, 6);
    assert.ok(hit!.generation, 'an etag or version');
    assert.ok(typeof hit!.timeCreated === 'number');
    assert.deepEqual(miss, { uri: `s3://${BUCKET}/jobs/none.mp4`, exists: false });
  });

  it('s3:// in a bucket no store names is a failed probe, never a guess', async () => {
    const r = await probe.probe(['s3://elsewhere/x.mp4']);
    assert.equal(r.complete, false);
    assert.match(r.errors[0]!, /not in VERITY_S3_STORES/);
  });

  it('http(s)://: HEAD sees a present object (seed 003 polls the provider URL); a 404 is absent', async () => {
    await put('pub/ext-2_output_0.mp4', 'abc');
    const r = await probe.probe([`${s3.url}/${BUCKET}/pub/ext-2_output_0.mp4`, `${s3.url}/${BUCKET}/pub/no.mp4`]);
    assert.deepEqual(r.errors, []);
    assert.equal(r.observations[0]!.exists, true);
    assert.equal(r.observations[0]!.size, 3);
    assert.equal(r.observations[1]!.exists, false);
  });

  it('a redirect is followed on the same host with the configured headers, refused to another host', async () => {
    const same = await probe.probe([`http://${redirectHost}/same`]);
    assert.deepEqual(same.errors, []);
    assert.equal(same.observations[0]!.exists, true);
    assert.deepEqual(seenHeaders.slice(-2), ['sesame', 'sesame'], 'the header from the env variable the config names');
    const away = await probe.probe([`http://${redirectHost}/away`]);
    assert.equal(away.complete, false);
    assert.match(away.errors[0]!, /redirected to another host/);
  });

  it('a host no configuration names is refused; so is http:// outside the local stack', async () => {
    const r = await probe.probe(['http://127.0.0.2:9/x.mp4']);
    assert.match(r.errors[0]!, /not in VERITY_HTTP_OUTPUT_HOSTS/);
    const cloud = createHttpHead({ [s3.hostPort]: { headers: {} } }, false, env);
    await assert.rejects(
      cloud(`${s3.url}/${BUCKET}/pub/ext-2_output_0.mp4`, AbortSignal.timeout(1000)),
      /not an https/,
    );
  });

  it('outsideStores: what a type may declare, and why not', () => {
    const cfg = {
      gcsBuckets: ['verity-out'],
      s3: { [BUCKET]: { region: 'x', forcePathStyle: true } },
      http: {},
      allowHttp: false,
    };
    assert.equal(outsideStores('gs://verity-out/a.mp4', cfg, parseGcsUri), null);
    assert.equal(outsideStores(`s3://${BUCKET}/a.mp4`, cfg, parseGcsUri), null);
    assert.match(outsideStores('gs://other/a.mp4', cfg, parseGcsUri)!, /allowed gs/);
    assert.match(outsideStores('s3://other/a.mp4', cfg, parseGcsUri)!, /VERITY_S3_STORES/);
    assert.match(outsideStores('https://cdn.example/a.mp4', cfg, parseGcsUri)!, /VERITY_HTTP_OUTPUT_HOSTS/);
    assert.match(outsideStores('ftp://x/a', cfg, parseGcsUri)!, /not a gs/);
  });
});
