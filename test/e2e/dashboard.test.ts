/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core against the API handler on
 * the test emulators. Selectors are roles and labels, so they double as an accessibility check. Leaves a
 * screenshot at test-results/dashboard.png.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { DASHBOARD_DIR, DASHBOARD_MODULES, serveDashboard } from '../../functions/api/dashboard/serve.js';
import { startDashboard, until, type Dashboard } from '../helpers/dashboard.js';
import type { TestRuntime } from '../helpers/runtime.js';
import { startSubscriber, verifies } from '../helpers/subscriber.js';
import { waitFor } from '../helpers/wait.js';

let d: Dashboard;
let rt: TestRuntime;
let url: string;
let page: Page;
let pageProblems: string[];

const call = (method: string, p: string, body?: unknown) => d.call(method, p, body);

const summaryStatus = (status: string) =>
  page.getByRole('region', { name: 'Summary' }).getByText(status, { exact: true });
const timeline = () => page.getByRole('region', { name: 'Timeline' });

before(async () => {
  d = await startDashboard('dash');
  ({ rt, url, page, problems: pageProblems } = d);
});

afterEach(async (t) => {
  if (page && (t as unknown as { passed?: boolean }).passed === false) {
    process.stderr.write(`page at ${page.url()}:\n${await page.locator('body').innerText()}\n`);
  }
});

after(async () => {
  await d?.close();
});

describe('dashboard', { timeout: 60_000 }, () => {
  it('serves its files under a strict CSP and nothing else', async () => {
    const res = await fetch(`${url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.doesNotMatch(await res.text(), /<script>|style="/);
    // every module in the folder is listed, and served as JavaScript (module scripts need it under nosniff)
    const scripts = readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.js'));
    assert.deepEqual([...DASHBOARD_MODULES].sort(), scripts.sort());
    for (const file of scripts) {
      const js = await fetch(`${url}/${file}`);
      assert.equal(js.status, 200, file);
      assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8', file);
      assert.match(js.headers.get('content-security-policy') ?? '', /script-src 'self'/, file);
      for (const [, imported] of (await js.text()).matchAll(/^(?:import|} from) .*'\.\/([^']+)';$/gm)) {
        assert.ok(scripts.includes(imported ?? ''), `${file} imports ${imported}`);
      }
    }
    assert.equal(serveDashboard('/app.css')?.status, 200);
    assert.equal(serveDashboard('/../package.json'), null);
    assert.equal(serveDashboard('/../dashboard.ts'), null);
    assert.equal(serveDashboard('/./app.js'), null);
    assert.equal(serveDashboard('/index.html'), null);
  });

  it('signs in, lists a new job, follows it through its states and cancels it', async () => {
    await page.goto(url);
    await page.getByLabel('Bearer token').fill(d.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('banner').getByText('Signed in as alice').waitFor();
    await page.getByRole('heading', { name: 'Job queue' }).waitFor();
    await page.getByLabel('Status').waitFor();
    await page.getByLabel('Type').waitFor();
    // the type filter lists the registered types, read from the API (none written into the page)
    const registered = rt.registry.names();
    const options = page.locator('#f-type option');
    await waitFor('the registered types', async () => (await options.count()) === registered.length + 1);
    const listed = await options.evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
    assert.deepEqual(listed.slice(1).sort(), [...registered].sort());

    // the test clock stands still; /api/events streams transitions strictly after the instant it opened
    rt.testClock.advance(1000);
    const created = await call('POST', '/api/jobs', {
      type: 'external',
      outputs: [`gs://${rt.bucket}/u/alice/dashboard/a.mp4`],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const jobId: string = created.body.job.id;

    // appears live (SSE) or at the next 3 s poll
    await page.getByRole('link', { name: jobId }).click();
    await page.getByRole('heading', { name: `Job ${jobId}` }).waitFor();
    await summaryStatus('queued').waitFor();
    await timeline().getByText('ENQUEUED', { exact: true }).waitFor();

    await rt.jobs.report(null, { jobId, kind: 'started' });
    await summaryStatus('running').waitFor();
    await timeline().getByText('STARTED', { exact: true }).waitFor();
    await timeline().getByText('source: worker').first().waitFor();

    await rt.jobs.report(null, {
      jobId,
      kind: 'progress',
      progress: { pct: 40, step: 'render', completedSteps: ['fetch'] },
    });
    const bar = page.getByRole('progressbar', { name: 'Progress' });
    await until(
      'the progress bar at 40%',
      async () => (await bar.evaluate((el) => (el as unknown as { value: number }).value)) === 40,
    );
    // the steps table: the completed step and the running one
    const steps = page.getByRole('table', { name: 'Steps' });
    await steps.getByRole('row', { name: /fetch completed/ }).waitFor();
    await steps.getByRole('row', { name: /render running/ }).waitFor();

    // the evidence is collapsible and opens from the keyboard, showing the transition's evidence as recorded
    const history = await call('GET', `/api/jobs/${jobId}/history`);
    const started = history.body.transitions.find((t: { reason?: string }) => t.reason === 'STARTED');
    assert.ok(started?.evidence, 'the STARTED transition has evidence');
    const details = timeline()
      .locator('details')
      .filter({ has: page.getByText(`Evidence for #${started.seq}`, { exact: true }) });
    const shown = details.locator('pre');
    assert.equal(await shown.isVisible(), false, 'the evidence starts collapsed');
    await details.locator('summary').focus();
    await page.keyboard.press('Enter');
    await shown.waitFor();
    assert.equal(await details.evaluate((el) => (el as unknown as { open: boolean }).open), true);
    assert.deepEqual(JSON.parse(await shown.innerText()), started.evidence);

    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await summaryStatus('canceled').waitFor();
    await timeline().getByText('CANCELED_BY_USER', { exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel', exact: true }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Retry', exact: true }).isDisabled(), false);
    const read = await call('GET', `/api/jobs/${jobId}`);
    await page.getByText('Finished: no more live updates.').waitFor();
    assert.equal(read.body.job.status, 'canceled');
    assert.equal(read.body.job.statusReason, 'CANCELED_BY_USER');

    // the aria-live region said so
    await until('the status change announced', async () =>
      /canceled/.test((await page.locator('[aria-live]').textContent()) ?? ''),
    );

    await d.screenshot('dashboard');

    // back on the queue the row shows the new status
    await page.getByRole('link', { name: '← Queue' }).click();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: jobId }) });
    await row.getByText('canceled', { exact: true }).waitFor();
    assert.deepEqual(pageProblems, []);
  });

  it('falls back to polling every 3 s when the event streams are missing', async () => {
    await page.route(/\/api\/(jobs\/[^/]+\/)?events$/, (route) =>
      route.fulfill({
        status: 404,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no route' } }),
      }),
    );
    try {
      await page.goto(`${url}/?reload=polling#/`); // a full load, so the streams open under the route above
      await page.getByText('Live stream unavailable: refreshing every 3 s.').waitFor();
      rt.testClock.advance(1000);
      const created = await call('POST', '/api/jobs', { type: 'external' });
      const jobId: string = created.body.job.id;
      await page.getByRole('link', { name: jobId }).click();
      await summaryStatus('queued').waitFor();
      await rt.jobs.report(null, { jobId, kind: 'started' });
      await summaryStatus('running').waitFor();
      await call('POST', `/api/jobs/${jobId}/cancel`);
    } finally {
      await page.unrouteAll();
    }
  });

  it('shows a project as artifact tiles and reconciles it', async () => {
    await rt.storage.bucket(rt.bucket).file('u/alice/dashboard/intro.mp4').save('clip', { resumable: false });
    const res = await call('POST', '/api/projects', {
      name: 'reel',
      artifacts: [
        { key: 'intro', uri: `gs://${rt.bucket}/u/alice/dashboard/intro.mp4` },
        { key: 'outro', uri: `gs://${rt.bucket}/u/alice/dashboard/outro.mp4` },
      ],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await page.goto(`${url}/#/projects/${res.body.project.id}`);
    const tiles = page.getByRole('list', { name: 'Artifacts' });
    await tiles.getByRole('listitem').filter({ hasText: 'outro' }).getByText('Missing', { exact: true }).waitFor();
    // a look before a fix: what the reconcile would correct, nothing written
    await page.getByRole('button', { name: 'Preview reconcile', exact: true }).click();
    await page
      .getByRole('region', { name: 'Reconcile preview (nothing written)' })
      .getByText(/"dryRun": true/)
      .waitFor();
    await page.getByRole('button', { name: 'Reconcile', exact: true }).click();
    await page
      .getByRole('region', { name: 'Reconcile report' })
      .getByText(/"missingArtifacts"/)
      .waitFor();
    // the reconcile verified the artifact that exists; the page reloads the project after the action
    await tiles.getByRole('listitem').filter({ hasText: 'intro' }).getByText('Present', { exact: true }).waitFor();
    await tiles.getByRole('listitem').filter({ hasText: 'outro' }).getByText('Missing', { exact: true }).waitFor();
  });

  it('opens a job by its ID and shows API errors in a visible alert', async () => {
    await page.goto(`${url}/#/`);
    await page.getByLabel('Job ID').fill('nope-not-a-job');
    await page.getByRole('button', { name: 'Open job' }).click();
    await page.getByRole('heading', { name: 'Job nope-not-a-job' }).waitFor();
    const alert = page.getByRole('alert');
    await alert.getByText(/NOT_FOUND/).waitFor();
    assert.equal(await alert.isVisible(), true);
  });
  it('webhooks: made from the page, the secret shown once, listed, its deliveries, deleted after a confirmation', async () => {
    const hook = await startSubscriber();
    try {
      const endpoint = `${hook.url}/dash`;
      await page.goto(`${url}/#/`);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
      await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
      await page.getByLabel('Endpoint URL').fill(endpoint);
      // the job types are the API's (its OpenAPI document), the statuses the job states
      await page
        .getByRole('group', { name: /^Job types/ })
        .getByLabel('external', { exact: true })
        .check();
      await page
        .getByRole('group', { name: /^Statuses entered/ })
        .getByLabel('queued', { exact: true })
        .check();
      await page.getByRole('button', { name: 'Create webhook' }).click();

      const panel = page.getByRole('region', { name: 'Signing secret of the new webhook' });
      await panel.getByText('This secret will not be shown again', { exact: false }).waitFor();
      const secret = await panel.getByLabel('Signing secret', { exact: true }).inputValue();
      assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
      assert.equal(await page.evaluate('document.activeElement?.id'), 'secret-title', 'focus on the panel');
      await panel.getByRole('button', { name: 'Copy secret' }).click();
      await panel
        .getByRole('status')
        .getByText(/Copied|Selected/)
        .waitFor();
      await panel.getByRole('button', { name: 'Dismiss' }).click();
      assert.equal(await panel.isVisible(), false);
      assert.equal(await page.evaluate('document.activeElement?.id'), 'sub-url', 'focus back on the form');
      assert.ok(!(await page.locator('body').innerText()).includes(secret.slice(6)), 'shown once only');

      const item = page
        .getByRole('list', { name: 'Your webhooks' })
        .getByRole('listitem')
        .filter({ hasText: endpoint });
      await item.getByText('active', { exact: true }).waitFor();
      await item.getByText('types: external · statuses: queued').waitFor();
      const [made] = (await call('GET', '/api/subscriptions')).body.subscriptions;
      assert.equal(made.url, endpoint);

      // a job's enqueue, delivered signed with the secret shown; listed among the deliveries
      const job = (await call('POST', '/api/jobs', { type: 'external' })).body.job;
      await rt.deliveries.idle();
      assert.ok(verifies(secret, hook.firsts('/dash')[0]!), 'signed with the secret the page showed');
      await item.getByText('Deliveries', { exact: true }).click();
      const deliveries = item.getByRole('table', { name: `Deliveries to ${endpoint}, newest first` });
      await deliveries.getByRole('row', { name: new RegExp(`${job.id}:\\d+ delivered 1 204`) }).waitFor();
      await item.getByLabel('Show').selectOption('dead');
      await deliveries.getByText('The dead-letter list is empty.').waitFor();
      await item.getByRole('button', { name: 'Replay dead letters' }).click();
      await item.getByText('0 dead letters replayed', { exact: false }).waitFor();

      // rotated: a new secret, shown once the same way; the old one signs through the overlap
      await item.getByRole('button', { name: 'Rotate secret' }).click();
      const rotated = page.getByRole('region', { name: 'New signing secret' });
      const fresh = await rotated.getByLabel('Signing secret', { exact: true }).inputValue();
      assert.match(fresh, /^whsec_/);
      assert.notEqual(fresh, secret);
      await rotated.getByRole('button', { name: 'Dismiss' }).click();
      await item.getByText('2 (a rotation’s overlap)').waitFor();

      // disabled for persistent failure (as the deliverer does it): the reason stands out, Enable delivers again
      const reason = 'deliveries failed for 24 hours; the last: HTTP 503';
      await rt.ledger.subscriptions.update(made.id, { state: 'disabled', disabledReason: reason });
      await page.reload();
      await item.locator('.disabled-reason').getByText(reason, { exact: false }).waitFor();
      await d.screenshot('dashboard-webhooks');
      await item.getByRole('button', { name: 'Enable', exact: true }).click();
      await item.getByText('active', { exact: true }).waitFor();
      assert.equal(await item.getByRole('button', { name: 'Enable', exact: true }).count(), 0);

      await item.getByRole('button', { name: 'Delete', exact: true }).click();
      const confirm = item.getByRole('group', { name: 'Confirm delete' });
      assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Keep it', 'the safe answer focused');
      await confirm.getByRole('button', { name: 'Delete webhook' }).click();
      await page.getByText('No webhooks yet.').waitFor();
      assert.deepEqual((await call('GET', '/api/subscriptions')).body.subscriptions, []);
      assert.deepEqual(pageProblems, []);
    } finally {
      await hook.close();
    }
  });
});
