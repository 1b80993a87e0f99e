/**
 * The dashboard's insight pages in Chromium (issue 16): the diagnosis panel on a job page with the actions it
 * suggests, the Health page's charts (accessible SVG with their data as tables, live from the event stream),
 * and the projects list with readiness. Screenshots: test-results/dashboard-{diagnosis,health,projects}.png.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startDashboard, until, type Dashboard, showPageOnFailure, signIn } from '../helpers/dashboard.js';
import type { TestRuntime } from '../helpers/runtime.js';

let d: Dashboard;
let rt: TestRuntime;
let page: Page;
const S = 1000;

const out = (name: string) => `gs://${rt.bucket}/u/alice/insight/${name}.mp4`;
const put = (name: string) => rt.storage.bucket(rt.bucket).file(`u/alice/insight/${name}.mp4`).save('v');
const diagnosis = () => page.getByRole('region', { name: 'Diagnosis' });

before(async () => {
  d = await startDashboard('insight');
  ({ rt, page } = d);
  await signIn(d);
});
afterEach((t) => showPageOnFailure(t, page));
after(async () => {
  await d?.close();
});

describe('dashboard: insight', { timeout: 60_000 }, () => {
  it('the job page explains the job and its suggested actions do what they say', async () => {
    const created = await d.call('POST', '/api/jobs', { type: 'external', outputs: [out('diag')] });
    assert.equal(created.status, 201);
    const id: string = created.body.job.id;
    await rt.jobs.report(null, { jobId: id, kind: 'started' });
    await page.goto(`${d.url}/#/jobs/${id}`);
    await diagnosis().getByText('RUNNING_NORMALLY', { exact: true }).waitFor();
    await diagnosis()
      .getByText(/Running normally; if nothing changes, at .* UTC/)
      .waitFor();
    const evidence = diagnosis().getByRole('table', { name: 'Evidence' });
    await evidence.getByRole('row', { name: /heartbeat seen/ }).waitFor();
    await evidence.getByRole('row', { name: /output missing/ }).waitFor();

    // past the heartbeat deadline the page's read reconciles: the panel names the silent worker and the retry
    rt.testClock.advance(10 * 60 * S);
    await page.reload();
    await diagnosis().getByText('WORKER_SILENT', { exact: true }).waitFor();
    await diagnosis()
      .getByText(/Attempt 1 failed because the worker went silent; attempt 2 of \d/)
      .waitFor();
    await d.screenshot('dashboard-diagnosis');

    // the suggested cancel cancels, and the panel then suggests a retry, which makes a new job
    await diagnosis().getByRole('button', { name: 'Cancel (suggested)' }).click();
    await diagnosis().getByText('CANCELED', { exact: true }).waitFor();
    assert.equal((await rt.store.get(id))!.status, 'canceled');
    await diagnosis().getByRole('button', { name: 'Retry (suggested)' }).click();
    await until('a retry job', async () =>
      (await rt.store.list({ ownerId: 'alice' }, 50)).jobs.some((j) => j.idempotencyKey?.startsWith(`retry:${id}:`)),
    );
    assert.deepEqual(d.problems, []);
  });

  it('Health: charts over time and by source, as SVG with their data as tables, live from the stream', async () => {
    // one failure the sweep made at a deadline, one success a reconcile found
    const never = await d.call('POST', '/api/jobs', {
      type: 'external',
      outputs: [out('never')],
      policy: { queueTimeoutSeconds: 10 },
    });
    assert.equal(never.status, 201);
    rt.testClock.advance(11 * S);
    await rt.sweeper.sweep();
    const found = await d.call('POST', '/api/jobs', { type: 'external', outputs: [out('found')] });
    await put('found');
    await d.call('POST', `/api/jobs/${found.body.job.id}/reconcile`);

    await page.goto(`${d.url}/#/health`);
    await page.getByRole('heading', { name: 'Health' }).waitFor();
    const headline = page.locator('.health-headline');
    await until('the headline', async () =>
      /recovered \(read \d+, reconcile 1, sweep 1\)/.test(await headline.innerText()),
    );
    for (const name of [
      'Transitions by source over time',
      'Failure rate of external over time',
      'Recoveries over time (set by a read, a reconcile or the sweep)',
      'Failure rate over time: failed / (succeeded + failed)',
      'Median time to recover over time',
      'Transitions by source in the window',
    ])
      await page.getByRole('img', { name: new RegExp(`^${name.replace(/[()/+]/g, '\\$&')}`) }).waitFor();
    const bySource = page.getByRole('img', { name: /^Transitions by source in the window/ });
    assert.match((await bySource.getAttribute('aria-labelledby')) ?? '', /-t .*-d$/);
    // the text alternative: the same data, as a table
    await page.getByText('Transitions by source in the window: the data as a table').click();
    const table = page.getByRole('table', { name: 'Transitions by source in the window' });
    await table.getByRole('row', { name: 'sweep 1' }).waitFor();
    await page
      .getByRole('table', { name: 'Ended jobs by type' })
      .getByRole('row', { name: /^external 1 1 1 50 %$/ }) // and the cancel of the first test
      .waitFor();
    // the stacked chart's table: a column per source, the last bucket holding the sweep's correction
    await page.getByText('Transitions by source over time: the data as a table').click();
    const stacked = page.getByRole('table', { name: 'Transitions by source over time' });
    await stacked.getByRole('columnheader', { name: 'sweep' }).waitFor();
    await d.screenshot('dashboard-health');

    // live: a transition on the stream refreshes the page
    const before = Number(/(\d+) transitions/.exec(await headline.innerText())![1]);
    rt.testClock.advance(S);
    await d.call('POST', '/api/jobs', { type: 'external', outputs: [out('live')] });
    await until(
      'the new transition counted',
      async () => Number(/(\d+) transitions/.exec(await headline.innerText())?.[1]) === before + 1,
    );
    assert.deepEqual(d.problems, []);
  });

  it('Projects: the list with status and readiness, each linking to its page', async () => {
    await rt.storage.bucket(rt.bucket).file('u/alice/insight/p/a.mp4').save('clip');
    const mk = (name: string) =>
      d.call('POST', '/api/projects', {
        name,
        artifacts: ['a', 'b'].map((k) => ({ key: k, uri: `gs://${rt.bucket}/u/alice/insight/p/${name}-${k}.mp4` })),
      });
    const half = await d.call('POST', '/api/projects', {
      name: 'half-ready',
      artifacts: [
        { key: 'a', uri: `gs://${rt.bucket}/u/alice/insight/p/a.mp4` },
        { key: 'b', uri: `gs://${rt.bucket}/u/alice/insight/p/b.mp4` },
      ],
    });
    assert.equal(half.status, 201);
    await d.call('POST', `/api/projects/${half.body.project.id}/reconcile`);
    assert.equal((await mk('empty')).status, 201);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).click();
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    const rows = page.getByRole('table', { name: 'Projects, newest first' });
    await rows.getByRole('row', { name: /^empty draft .*0 of 2/ }).waitFor();
    await rows.getByRole('row', { name: /^half-ready draft .*1 of 2/ }).waitFor();
    await page.getByRole('meter', { name: '1 of 2 ready' }).waitFor();
    await d.screenshot('dashboard-projects');
    await rows.getByRole('link', { name: 'half-ready' }).click();
    await page.getByRole('list', { name: 'Artifacts' }).waitFor();
    assert.match(page.url(), new RegExp(`#/projects/${half.body.project.id}$`));
    assert.deepEqual(d.problems, []);
  });
});
