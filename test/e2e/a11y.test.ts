/**
 * Accessibility, proven in Chromium (issue 33, items 4 and 6): axe-core's WCAG 2.0/2.1 A and AA rules over every
 * page and state of the dashboard (test/helpers/dashboard-tour.ts: sign-in, the queue empty, loading and 60 jobs
 * long, a running job streaming, an API error, projects, a project, health, webhooks, deliveries) with 0
 * violations; at every stop each control reached by Tab with a visible focus ring, no state told by colour
 * alone, every time in the one format. Then: a dialog used by keyboard only (focus trapped, returned), reduced
 * motion honoured, Sign out hidden while signed out, no 404 on a page load, one time format on a job page in
 * a browser whose zone is not UTC.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { startDashboard, until, type Dashboard, showPageOnFailure } from '../helpers/dashboard.js';
import { signIn, STOPS, tour, type Stop } from '../helpers/dashboard-tour.js';
import { colourOnly, focusProblems, timeProblems } from '../helpers/a11y-checks.js';

// the page's globals, for the functions page.evaluate runs there (the project compiles without the DOM library)
declare const document: any, getComputedStyle: (el: any) => any, sessionStorage: any;

const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

let d: Dashboard;
let page: Page;

/** axe-core's violations on the page as it is: one line each — the rule, its impact, the element, the help. */
async function axe(p: Page, where: string): Promise<string[]> {
  // legacy mode: axe.run in the page itself; the default finishes in a second page of the context, which a page
  // of browser.newPage() (test/helpers/dashboard.ts) cannot open. The dashboard has no frames, which is all it skips.
  const { violations, passes, incomplete } = await new AxeBuilder({ page: p })
    .withTags(WCAG)
    .setLegacyMode(true)
    .analyze();
  // the audit saw the page: contrast is judged wherever there is text (passed, failed or left to a person)
  const judged = [...violations, ...passes, ...incomplete].some((r) => r.id === 'color-contrast');
  if (!judged) return [`${where}: axe-core judged no text contrast: did it run on the page?`];
  const review = incomplete.flatMap((r) => r.nodes.map((n) => `${r.id} at ${n.target.join(' ')}`));
  if (review.length) process.stderr.write(`${where}: axe-core leaves to a person: ${review.join('; ')}\n`);
  return violations.flatMap((v) =>
    v.nodes.map((n) => `${where}: ${v.id} (${v.impact ?? 'n/a'}) at ${n.target.join(' ')} — ${v.help}`),
  );
}

before(async () => {
  d = await startDashboard('a11y');
  page = d.page;
});
afterEach((t) => showPageOnFailure(t, page));
after(async () => {
  await d?.close();
});

describe('dashboard: accessibility', { timeout: 240_000 }, () => {
  it('every page and state: 0 WCAG A/AA violations, every control by keyboard, no colour alone', async () => {
    const seen: Stop[] = [];
    const problems: string[] = [];
    await tour(d, async (stop) => {
      seen.push(stop);
      const found = [
        ...(await axe(page, stop)),
        ...(await focusProblems(page)).map((p) => `${stop}: ${p}`),
        ...(await colourOnly(page)).map((p) => `${stop}: ${p}`),
        ...(await timeProblems(page, 'time')).map((p) => `${stop}: ${p}`),
      ];
      if (found.length) process.stderr.write(`${found.join('\n')}\n`);
      problems.push(...found);
    });
    assert.deepEqual(seen, [...STOPS]);
    // the audit can fail: a nameless button added to the page is found
    await page.evaluate(() => document.querySelector('main').append(document.createElement('button')));
    assert.match((await axe(page, 'control')).join('\n'), /^control: button-name \(critical\) at #main > button/m);
    await page.evaluate(() => document.querySelector('main > button:last-child').remove());
    assert.deepEqual(problems, []);
    assert.deepEqual(d.problems, []);
  });

  it('a dialog by keyboard only: opens on Enter, traps Tab, Escape closes it and focus returns', async () => {
    await page.goto(`${d.url}/#/webhooks`);
    const card = page.getByRole('listitem').filter({ hasText: '/tour' });
    const del = card.getByRole('button', { name: 'Delete', exact: true });
    await del.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog', { name: 'Delete this webhook?' });
    await dialog.waitFor();
    const focused = () => page.evaluate(() => document.activeElement?.textContent ?? '');
    assert.equal(await focused(), 'Keep it', 'the safe answer has the focus');
    assert.deepEqual(await axe(page, 'delete dialog'), []);
    // Tab and Shift+Tab go round the dialog's two buttons, never out of it
    const order: string[] = [];
    for (const key of ['Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab']) {
      await page.keyboard.press(key);
      order.push(await focused());
    }
    assert.deepEqual(order, ['Delete webhook', 'Keep it', 'Delete webhook', 'Keep it', 'Delete webhook']);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await focused(), 'Delete', 'focus back on the button that opened it');
    // "Keep it" by keyboard: closed, focus back again, nothing deleted
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await focused(), 'Delete');
    assert.equal((await d.call('GET', '/api/subscriptions')).body.subscriptions.length, 2);
  });

  it('reduced motion: nothing transitions or animates when the system asks for less motion', async () => {
    await page.goto(`${d.url}/#/`);
    await page.getByRole('link', { name: /^job_/ }).first().waitFor();
    const moving = () =>
      page.evaluate(() => {
        const durations = (v: string) => v.split(',').some((t) => parseFloat(t) > 0);
        const all = [...document.querySelectorAll('*')];
        const els = all.filter((el) => {
          const cs = getComputedStyle(el);
          return durations(cs.transitionDuration) || durations(cs.animationDuration) || cs.animationName !== 'none';
        });
        return els.length + document.getAnimations().length;
      });
    // a progress bar without a value (a job page before its first read): Chromium sweeps it, no CSS animation
    // that getAnimations() sees; two pictures 300 ms apart are alike only when it stands still
    await page.evaluate(() => {
      const bar = document.createElement('progress');
      bar.id = 'sweep';
      document.querySelector('main').prepend(bar);
    });
    const still = async () => {
      const first = await page.locator('#sweep').screenshot();
      await new Promise((r) => setTimeout(r, 300));
      return first.equals(await page.locator('#sweep').screenshot());
    };
    try {
      await page.emulateMedia({ reducedMotion: 'no-preference' });
      assert.ok((await moving()) > 0, 'without the preference the rows fade (so the check below can see motion)');
      assert.equal(await still(), false, 'without the preference the bar sweeps');
      await page.emulateMedia({ reducedMotion: 'reduce' });
      assert.equal(await moving(), 0);
      assert.equal(await still(), true, 'with it the bar stands still');
    } finally {
      await page.emulateMedia({ reducedMotion: null });
      await page.evaluate(() => document.querySelector('#sweep')?.remove());
    }
  });

  it('Sign out shows only while signed in', async () => {
    await page.goto(`${d.url}/#/`);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    try {
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Sign out' }).isVisible(), false);
      assert.equal(await page.locator('#session').evaluate((el) => getComputedStyle(el).display), 'none');
      await signIn(page, d.token);
      assert.equal(await page.getByRole('button', { name: 'Sign out' }).isVisible(), true);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Sign out' }).isVisible(), false);
    } finally {
      await page.evaluate((token) => sessionStorage.setItem('verity.token', token), d.token); // signed in again
    }
  });

  it('a page load asks for nothing that is not there (no 404: the icon is served)', async () => {
    const failed: string[] = [];
    const icons: number[] = [];
    const onResponse = (res: { status(): number; url(): string }) => {
      if (res.status() >= 400) failed.push(`${res.status()} ${res.url()}`);
      if (/favicon/.test(res.url())) icons.push(res.status());
    };
    page.on('response', onResponse);
    try {
      // each page loaded afresh, until its data is on it (the stats of Health may take a while on a busy machine)
      for (const [hash, ready] of [
        ['#/', /job_/],
        ['#/projects', /launch-reel/],
        ['#/health', /\d+ transitions/],
        ['#/webhooks', /Rotate secret/],
      ] as const) {
        await page.goto(`${d.url}/?load=${encodeURIComponent(hash)}${hash}`);
        await until(`${hash} loaded`, async () => ready.test(await page.locator('main').innerText()), 30_000);
      }
      await until('the icon asked for', async () => icons.length > 0);
    } finally {
      page.off('response', onResponse);
    }
    assert.deepEqual(failed, []);
    assert.ok(
      icons.every((s) => s === 200),
      `the icon answered ${icons.join(', ')}`,
    );
  });

  it('Health: the answer for a window chosen before comes late and is dropped, not shown under the new one', async () => {
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    await page.route(/\/api\/stats\/recoveries\?window=24h/, async (route) => {
      await held;
      await route.continue();
    });
    try {
      await page.goto(`${d.url}/?health`);
      await page.evaluate((token) => {
        sessionStorage.setItem('verity.token', token);
        sessionStorage.setItem('verity.health.window', '24h');
      }, d.token);
      await page.goto(`${d.url}/?health=late#/health`);
      await page.getByLabel('Window').selectOption('1h'); // the 24h answer still on its way
      const headline = page.getByText(/^Last \d+[hd]: /);
      await headline.filter({ hasText: /^Last 1h/ }).waitFor();
      release();
      await page.waitForResponse(/window=24h/);
      await new Promise((r) => setTimeout(r, 300));
      assert.match(await headline.innerText(), /^Last 1h/);
    } finally {
      release();
      await page.unrouteAll();
    }
  });

  it('one time format on a job page, whatever the browser’s zone and locale', async () => {
    const context = await page.context().browser()!.newContext({ timezoneId: 'Asia/Kolkata', locale: 'en-US' });
    try {
      const p = await context.newPage();
      await p.goto(d.url);
      await signIn(p, d.token);
      const [running] = (await d.call('GET', '/api/jobs?status=running&limit=1')).body.jobs;
      await p.goto(`${d.url}/#/jobs/${running.id}`);
      await p.getByRole('region', { name: 'Diagnosis' }).getByText(/UTC/).first().waitFor();
      await p.getByRole('region', { name: 'Timeline' }).locator('time').first().waitFor();
      assert.deepEqual(await timeProblems(p, 'main'), []);
    } finally {
      await context.close();
    }
  });
});
