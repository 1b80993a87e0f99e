/**
 * A walk through every page and state of the dashboard, on a runtime seeded with representative jobs, a project
 * and webhooks: the accessibility audit (test/e2e/a11y.test.ts) checks each stop, and `npm run docs:screens`
 * (test/screens.ts) photographs each for docs/dashboard.md — the same stops, so the pictures show what is checked.
 */
import assert from 'node:assert/strict';
import type { Page, Route } from 'playwright-core';
import { until, type Dashboard } from './dashboard.js';
import { startSubscriber, type Subscriber } from './subscriber.js';

/** The stops, in the order the tour makes them; each is also the name of its screenshot (docs/screens/<name>.png). */
export const STOPS = [
  'sign-in',
  'queue-empty',
  'loading',
  'queue',
  'bulk',
  'job-running',
  'error',
  'projects',
  'project',
  'health',
  'webhooks',
  'deliveries',
] as const;
export type Stop = (typeof STOPS)[number];

const S = 1000;
const PLAN = [{ name: 'fetch' }, { name: 'decode' }, { name: 'render', weight: 3 }, { name: 'encode', weight: 2 }];

/** What the tour seeded: the ids its stops open. */
interface Seeded {
  running: string;
  endpoint: string;
}

/** Signs in by keyboard: the token pasted into the form, Enter on its button. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).press('Enter');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

const h1 = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name }).waitFor();

/** 60 jobs of every status and reason: running with progress, succeeded, recovered, corrected, failed, canceled. */
async function seed(d: Dashboard, hook: Subscriber): Promise<Seeded> {
  const { rt, call } = d;
  const out = (name: string) => `gs://${rt.bucket}/u/alice/tour/${name}.mp4`;
  const put = (name: string) => rt.storage.bucket(rt.bucket).file(`u/alice/tour/${name}.mp4`).save('video');
  const endpoint = `${hook.url}/tour`;
  const sub = await call('POST', '/api/subscriptions', { url: endpoint, types: [], statuses: ['succeeded', 'failed'] });
  assert.equal(sub.status, 201, JSON.stringify(sub.body));
  const ids: string[] = [];
  for (let i = 0; i < 60; i++) {
    rt.testClock.advance(7 * S);
    const policy = i % 12 === 5 ? { queueTimeoutSeconds: 30 } : undefined;
    const res = await call('POST', '/api/jobs', { type: 'external', outputs: [out(`clip-${i}`)], policy });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    ids.push(res.body.job.id);
  }
  let running = '';
  for (const [i, jobId] of ids.entries()) {
    const kind = i % 12;
    if (kind === 4) running = jobId; // the newest of the running ones: the job page follows it
    if (kind === 5) continue; // queued with a short queue timeout: the sweep corrects it below
    if (kind === 0) continue; // left queued
    await rt.jobs.report(null, { jobId, kind: 'started' });
    if (kind <= 4) {
      await rt.jobs.report(null, { jobId, kind: 'progress', progress: { pct: 20 * kind, step: 'render' } });
    } else if (kind <= 8) {
      await put(`clip-${i}`);
      await rt.jobs.report(null, { jobId, kind: 'succeeded' });
    } else if (kind === 9) {
      await put(`clip-${i}`);
      await call('POST', `/api/jobs/${jobId}/reconcile`); // succeeded from evidence: OUTPUT_FOUND, recovered
    } else if (kind === 10) {
      await rt.jobs.report(null, {
        jobId,
        kind: 'failed',
        error: { code: 'ENCODER_CRASHED', message: 'ffmpeg exited 137', retryable: false },
      });
    } else await call('POST', `/api/jobs/${jobId}/cancel`);
  }
  rt.testClock.advance(31 * S);
  await rt.sweeper.sweep();
  await rt.deliveries.idle();

  // the running job the job page follows: 40% into its render, in a plan of four steps
  await rt.jobs.report(null, {
    jobId: running,
    kind: 'progress',
    progress: { pct: 40, step: 'render', completedSteps: ['fetch', 'decode'], steps: PLAN },
  });

  await put('project-intro');
  const project = await call('POST', '/api/projects', {
    name: 'launch-reel',
    artifacts: ['intro', 'middle', 'outro'].map((key) => ({ key, uri: out(`project-${key}`) })),
  });
  assert.equal(project.status, 201, JSON.stringify(project.body));
  await call('POST', `/api/projects/${project.body.project.id}/reconcile`);
  await call('POST', '/api/projects', {
    name: 'teaser',
    artifacts: [{ key: 'cut', uri: out('teaser-cut') }],
  });

  // a second webhook the deliverer disabled, its reason on its card
  const broken = await call('POST', '/api/subscriptions', { url: `${hook.url}/broken`, types: [], statuses: [] });
  await rt.ledger.subscriptions.update(broken.body.subscription.id, {
    state: 'disabled',
    disabledReason: 'deliveries failed for 24 hours; the last: HTTP 503',
  });
  return { running, endpoint };
}

/**
 * Holds every API call until release(): the page as it is before its data arrives. The calls held are
 * answered on release (and later ones pass).
 */
async function holdApi(page: Page): Promise<{ release: () => Promise<void> }> {
  const held: Route[] = [];
  const pattern = /\/api\//;
  await page.route(pattern, (route) => {
    held.push(route);
  });
  return {
    release: async () => {
      await page.unroute(pattern);
      for (const route of held.splice(0)) await route.continue().catch(() => undefined);
    },
  };
}

/** Goes through every stop in STOPS order, calling visit(stop) once the page shows it. */
export async function tour(d: Dashboard, visit: (stop: Stop) => Promise<void>): Promise<void> {
  const { page, url } = d;
  const hook = await startSubscriber();
  try {
    await page.goto(url);
    await h1(page, 'Sign in');
    await visit('sign-in');

    await signIn(page, d.token);
    await h1(page, /queue/i);
    await page
      .getByText(/^No (\w+ )?jobs/)
      .first()
      .waitFor(); // "No jobs yet.", or a group's "No waiting jobs."
    await visit('queue-empty');

    const hold = await holdApi(page);
    await page.goto(`${url}/?loading#/`);
    await h1(page, /queue/i);
    await visit('loading');
    await hold.release();

    const seeded = await seed(d, hook);
    await page.goto(`${url}/#/`);
    await page.getByRole('link', { name: seeded.running }).waitFor();
    await visit('queue');

    // "Act on these…": the bulk dialog (modal), its dry run's count and sample shown; closed with Escape
    await page.getByRole('button', { name: 'Act on these…' }).click();
    const bulk = page.getByRole('dialog', { name: /^Act on/ });
    await bulk.getByRole('button', { name: 'Preview' }).click();
    await bulk.getByText(/\d+ jobs? match/).waitFor();
    await visit('bulk');
    await page.keyboard.press('Escape');
    await bulk.waitFor({ state: 'hidden' });

    await page.getByRole('link', { name: seeded.running }).click();
    await h1(page, `Job ${seeded.running}`);
    await page.getByText(/^Live/).waitFor();
    // streaming: a step the worker reports reaches the open page
    await d.rt.jobs.report(null, {
      jobId: seeded.running,
      kind: 'progress',
      progress: { pct: 55, step: 'encode', completedSteps: ['fetch', 'decode', 'render'] },
    });
    await until('the progress streamed in', async () => /step: encode/.test(await page.locator('main').innerText()));
    await visit('job-running');

    await page.goto(`${url}/#/jobs/job_not_there`);
    await page
      .getByRole('alert')
      .getByText(/NOT_FOUND/)
      .waitFor();
    await visit('error');

    await page.goto(`${url}/#/projects`);
    await page.getByRole('link', { name: 'launch-reel' }).waitFor();
    await visit('projects');

    await page.getByRole('link', { name: 'launch-reel' }).click();
    await page.getByRole('list', { name: 'Artifacts' }).getByText('Present', { exact: true }).waitFor();
    await visit('project');

    await page.goto(`${url}/#/health`);
    await page.getByLabel('Window').selectOption('1h'); // the seeded minutes spread over its five-minute buckets
    const stats = async () => /Last 1h: \d+ transitions/.test(await page.locator('main').innerText());
    await until('the health headline', stats, 30_000);
    await visit('health');

    await page.goto(`${url}/#/webhooks`);
    const card = page.getByRole('listitem').filter({ hasText: seeded.endpoint });
    await card.getByText('active', { exact: true }).waitFor();
    await page.getByText('Disabled:', { exact: false }).waitFor();
    await visit('webhooks');

    await card.getByText('Deliveries', { exact: true }).click();
    await card
      .getByRole('row', { name: /delivered/ })
      .first()
      .waitFor();
    await card.locator('summary').evaluate((el: any) => el.scrollIntoView({ block: 'start' }));
    await visit('deliveries');
  } finally {
    await hook.close();
  }
}
