/**
 * The dashboard's views in Chromium (issue 33): a bulk cancel from the queue with its preview, confirmation and
 * progress (keyboard-usable dialogs), the job timeline with each transition's cause and a bulk's attribution, the
 * default view grouped by phase with a reason per row, filters in the address (back and forward restore them), and
 * saved views kept in the browser. Every action is checked by reading the store or the API back.
 * Screenshots: test-results/dashboard-{bulk-confirm,bulk,timeline,groups}.png.
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

const enqueue = async (body: Record<string, unknown> = {}): Promise<string> => {
  const r = await d.call('POST', '/api/jobs', { type: 'external', ...body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.job.id as string;
};
const report = (jobId: string, kind: 'started' | 'succeeded' | 'progress' | 'failed', more = {}) =>
  rt.jobs.report(null, { jobId, kind, ...more });
const active = (expr: string) => page.evaluate(`document.activeElement?.${expr}`);
const group = (name: string) => page.getByRole('region', { name: new RegExp(`^${name} \\(\\d+\\)$`) });
const rowOf = (id: string) => page.getByRole('row').filter({ has: page.getByRole('link', { name: id, exact: true }) });
const hash = () => new URL(page.url()).hash;

before(async () => {
  d = await startDashboard('views');
  ({ rt, page } = d);
  await signIn(d);
});
afterEach((t) => showPageOnFailure(t, page));
after(async () => {
  await d?.close();
});

describe('dashboard: views and bulk actions', { timeout: 60_000 }, () => {
  it('a bulk cancel of 25 jobs: preview, a confirmation naming the count, progress, a summary; every job canceled', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(...(await Promise.all([1, 2, 3, 4, 5].map(() => enqueue()))));
    const done = await enqueue();
    await report(done, 'started');
    await report(done, 'succeeded');
    const canceled = await enqueue();
    assert.equal((await d.call('POST', `/api/jobs/${canceled}/cancel`)).status, 202);
    const bulkCalls: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/jobs/bulk'))
        bulkCalls.push(`${r.method()} ${new URL(r.url()).pathname} ${r.postData() ?? ''}`);
    });

    await page.goto(`${d.url}/#/?type=external`);
    await group('Waiting').getByRole('heading', { name: 'Waiting (25)' }).waitFor();
    const opener = page.getByRole('button', { name: 'Act on these…' });
    await opener.click();
    const dialog = page.getByRole('dialog', { name: 'Act on the jobs this filter matches' });
    await dialog.getByText('type external', { exact: true }).waitFor();
    // focus moved into the dialog, Tab and Shift+Tab stay in it, Escape closes it and focus returns to the opener
    assert.equal(await active('id'), 'bulk-action-cancel');
    const inside = () => page.evaluate("document.getElementById('bulk-dialog').contains(document.activeElement)");
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      assert.equal(await inside(), true, `Tab ${i + 1} left the dialog`);
    }
    await dialog.getByLabel(/^Cancel/).focus();
    await page.keyboard.press('Shift+Tab');
    assert.equal(await active('textContent'), 'Close', 'Shift+Tab from the first control goes to the last');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await active('textContent'), 'Act on these…');

    // the dry run: the count and a sample, nothing changed
    await page.keyboard.press('Enter');
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.getByText('27 jobs match.').waitFor();
    assert.equal(await dialog.getByRole('list').getByRole('listitem').count(), 10);
    assert.equal((await rt.store.get(ids[0]!))!.status, 'queued', 'a preview changes nothing');
    await dialog.getByRole('button', { name: 'Cancel 27 jobs…' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Cancel 27 jobs?' });
    await confirm.waitFor();
    assert.equal(await active('textContent'), 'Go back', 'the confirmation opens on its safe choice');
    await d.screenshot('dashboard-bulk-confirm');
    await confirm.getByRole('button', { name: 'Cancel 27 jobs', exact: true }).dblclick();

    const progress = page.getByRole('region', { name: /^Cancel 27 jobs: bulk_/ });
    await progress.getByText('Finished: 25 canceled, 2 skipped, 0 failed.').waitFor();
    assert.equal(await confirm.isVisible(), false);
    assert.equal(
      await progress.getByRole('progressbar').evaluate((p) => (p as unknown as { value: number }).value),
      27,
    );
    const skipped = progress.getByRole('table', { name: /^Skipped/ });
    await skipped.getByRole('row', { name: `${done} already succeeded` }).waitFor();
    await skipped.getByRole('row', { name: `${canceled} already canceled` }).waitFor();
    await d.screenshot('dashboard-bulk');

    // read back: every job canceled, one bulk however often the button was pressed, its progress read every second
    for (const id of ids) {
      const job = (await rt.store.get(id))!;
      assert.deepEqual([job.status, job.statusReason], ['canceled', 'CANCELED_BY_USER'], id);
    }
    assert.equal((await rt.store.get(done))!.status, 'succeeded');
    const bulks = await rt.db.collection('bulks').get();
    assert.equal(bulks.size, 1, 'one bulk');
    const starts = bulkCalls.filter((c) => c.startsWith('POST') && !c.includes('"dryRun":true'));
    assert.equal(starts.length, 1, `one start sent: ${starts.join('; ')}`);
    assert.match(starts[0]!, /"requestId":"dash-[0-9a-f-]+"/);
    assert.ok(
      bulkCalls.some((c) => c.startsWith(`GET /api/jobs/bulk/${bulks.docs[0]!.id}`)),
      'progress polled',
    );
    // the queue reloaded: the 25 are in the Ended group, none waits
    await group('Waiting').getByRole('heading', { name: 'Waiting (0)' }).waitFor();
    assert.deepEqual(d.problems, []);
  });

  it('the job timeline: each transition with its period, its cause, a bulk action’s id and caller', async () => {
    const id = await enqueue({ resourceKey: 'timeline-1' });
    await report(id, 'started');
    rt.testClock.advance(4 * S);
    await report(id, 'progress', { progress: { pct: 50, step: 'render', completedSteps: ['fetch'] } });
    rt.testClock.advance(3 * S);
    const bulk = await d.call('POST', '/api/jobs/bulk', { action: 'cancel', filter: { resourceKey: 'timeline-1' } });
    assert.equal(bulk.status, 202, JSON.stringify(bulk.body));
    await rt.bulks.idle();
    const history = (await d.call('GET', `/api/jobs/${id}/history`)).body.transitions;
    const last = history[history.length - 1];
    assert.deepEqual(last.evidence.bulk, { bulkId: bulk.body.bulk.id, userId: 'alice' });

    await page.goto(`${d.url}/#/jobs/${id}`);
    const timeline = page.getByRole('region', { name: 'Timeline' });
    const item = (seq: number) => timeline.locator(`li[data-seq="${seq}"]`);
    await item(last.seq).getByText(`Caused by: a request: bulk action ${bulk.body.bulk.id} by alice`).waitFor();
    await item(1)
      .getByText(/^In queued from .* to .* \(0 s\)$/)
      .waitFor();
    await item(2).getByText("Caused by: the worker's report").waitFor();
    await item(2)
      .getByText(/^In running from .* to .* \(7 s\)$/)
      .waitFor();
    await item(last.seq)
      .getByText(/^Ended canceled at /)
      .waitFor();
    const summary = page.getByRole('region', { name: 'Summary' });
    await summary.getByText('yes: a retry resumes past fetch').waitFor();
    const canceledAt = (await rt.store.get(id))!.canceledAt!;
    await summary
      .locator(`time[datetime="${new Date(canceledAt).toISOString()}"]`)
      .first()
      .waitFor();
    // each step with its start and end
    const steps = page.getByRole('table', { name: 'Steps' });
    await steps.getByRole('columnheader', { name: 'Started' }).waitFor();
    await steps.getByRole('columnheader', { name: 'Ended' }).waitFor();
    await steps.getByRole('row', { name: /^fetch completed/ }).waitFor();
    assert.ok((await steps.locator('time').count()) >= 1, 'a step shows when it ran');
    await d.screenshot('dashboard-timeline');
  });

  it('the default view groups waiting, running, held and recovering jobs, each with why', async () => {
    const held = await enqueue({
      policy: { heartbeatTimeoutSeconds: 30, backoff: { initialSeconds: 600, jitter: 0 } },
    });
    const recovering = await enqueue({ policy: { heartbeatTimeoutSeconds: 60 } });
    const running = await enqueue({ policy: { heartbeatTimeoutSeconds: 600 } });
    const waiting = await enqueue();
    for (const id of [held, recovering, running]) await report(id, 'started');
    rt.testClock.advance(31 * S);
    await rt.sweeper.sweep(); // the held job's heartbeat deadline: attempt 2, after a 10 min backoff
    rt.testClock.advance(40 * S); // past the recovering one's, not yet acted on

    await page.goto(`${d.url}/#/`);
    const expect: [string, string, RegExp][] = [
      ['Waiting', waiting, /^waiting for the worker's first report \(queued 1 min 11 s\)$/],
      ['Running', running, /^running for 1 min 11 s; last report 1 min 11 s ago$/],
      ['Held', held, /^attempt 2 of 3 held by its retry backoff for 9 min 20 s more$/],
      ['Recovering', recovering, /^silent for 1 min 11 s, checking the execution$/],
    ];
    for (const [name, id, why] of expect) {
      const row = group(name)
        .getByRole('row')
        .filter({ has: page.getByRole('link', { name: id, exact: true }) });
      await row.locator('.why').getByText(why).waitFor();
    }
    await group('Held').getByRole('heading', { name: 'Held (1)' }).waitFor();
    await group('Recovering').getByRole('heading', { name: 'Recovering (1)' }).waitFor();
    // queued work is never in Running: the held job is queued (its retry), the waiting one has not started
    assert.equal(await rowOf(held).getByText('queued', { exact: true }).count(), 1);
    await group('Running').getByRole('heading', { name: 'Running (1)' }).waitFor();
    // the page shows what the API says
    const listed = (await d.call('GET', '/api/jobs?limit=200')).body.jobs as { id: string; phase: string }[];
    const phases = Object.fromEntries(listed.map((j) => [j.id, j.phase]));
    assert.deepEqual(
      [waiting, running, held, recovering].map((id) => phases[id]),
      ['waiting', 'running', 'held', 'recovering'],
    );
    await d.screenshot('dashboard-groups');
  });

  it('a filter lives in the address: back and forward restore it, an address applies it, a bad value is named', async () => {
    const failed = await enqueue();
    await report(failed, 'started');
    await report(failed, 'progress', { progress: { pct: 30, step: 'b', completedSteps: ['a'] } });
    await report(failed, 'failed', { error: { code: 'BAD_INPUT', message: 'no', retryable: false } });
    await page.goto(`${d.url}/#/`);
    await page.getByLabel('Status').selectOption('failed');
    await until('the address', async () => hash() === '#/?status=failed');
    await rowOf(failed).getByText('can resume').waitFor();
    assert.equal(await group('Waiting').count(), 0, 'a terminal status shows the Ended group alone');
    await page.getByLabel('Type').selectOption('external');
    await until('the address', async () => hash() === '#/?status=failed&type=external');
    assert.equal(await page.getByLabel('Status').inputValue(), 'failed');

    await page.goBack();
    await until('back', async () => hash() === '#/?status=failed');
    assert.equal(await page.getByLabel('Type').inputValue(), '');
    assert.equal(await page.getByLabel('Status').inputValue(), 'failed');
    await page.goBack();
    await until('back again', async () => hash() === '#/');
    assert.equal(await page.getByLabel('Status').inputValue(), '');
    await group('Waiting').waitFor();
    await page.goForward();
    await until('forward', async () => hash() === '#/?status=failed');
    assert.equal(await page.getByLabel('Status').inputValue(), 'failed');
    await rowOf(failed).waitFor();

    // a shared address, loaded fresh; a value the API would refuse is named and dropped from the address
    await page.goto(`${d.url}/?fresh=1#/?status=bogus&type=external`);
    await page.getByText('Ignored in the address: status=bogus (not a job status).').waitFor();
    await until('the corrected address', async () => hash() === '#/?type=external');
    assert.equal(await page.getByLabel('Type').inputValue(), 'external');
    assert.deepEqual(d.problems, []);
  });

  it('a saved view is kept in this browser for the user, reapplied from its link, and deleted', async () => {
    await page.goto(`${d.url}/#/?status=failed&type=external`);
    const saved = page.getByRole('region', { name: 'Saved views' });
    await saved.getByText('Kept in this browser only', { exact: false }).waitFor();
    await saved.getByRole('button', { name: 'Save view' }).click();
    await saved.getByText('Give the view a name.').waitFor();
    await saved.getByLabel('Name of this view').fill('Failed externals');
    await saved.getByRole('button', { name: 'Save view' }).click();
    const link = saved.getByRole('link', { name: 'Failed externals' });
    await link.waitFor();
    assert.equal(await link.getAttribute('aria-current'), 'page');
    const stored = await page.evaluate("localStorage.getItem('verity.views.alice')");
    assert.deepEqual(JSON.parse(String(stored)), { 'Failed externals': '#/?status=failed&type=external' });

    // away and back through the saved view; an entry that is no dashboard address is not offered
    await page.evaluate(
      "localStorage.setItem('verity.views.alice', JSON.stringify({...JSON.parse(localStorage.getItem('verity.views.alice')), " +
        "evil: 'javascript:alert(1)'}))",
    );
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Queue' }).click();
    await until('the unfiltered queue', async () => hash() === '#/');
    assert.equal(await page.getByLabel('Status').inputValue(), '');
    await page.reload();
    await link.click();
    await until('the saved address', async () => hash() === '#/?status=failed&type=external');
    assert.equal(await page.getByLabel('Status').inputValue(), 'failed');
    assert.equal(await page.getByLabel('Type').inputValue(), 'external');
    await group('Ended').waitFor();
    assert.equal(await saved.getByRole('link').count(), 1, 'the malformed entry is not listed');

    await saved.getByRole('button', { name: 'Delete view Failed externals' }).click();
    await saved.getByText('None yet', { exact: false }).waitFor();
    assert.deepEqual(JSON.parse(String(await page.evaluate("localStorage.getItem('verity.views.alice')"))), {});
    assert.deepEqual(d.problems, []);
  });
});
