/**
 * The dashboard in a real browser for the e2e tests: Debian's Chromium driven by playwright-core against the API
 * handler (with the dashboard's files) on the test emulators. Collects page errors and console errors; saves
 * screenshots under test-results/ (the CI artifacts).
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { mintLocalToken } from '../../shared/src/auth/local-issuer.js';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { createApiHandler } from '../../functions/api/handler.js';
import { DASHBOARD_HEADERS, serveDashboard } from '../../functions/api/dashboard/serve.js';
import { CHROMIUM_ARGS, ensureChromium } from '../../infra/local/chromium.js';
import { readyRuntime } from '../../functions/common/runtime-source.js';
import { testRuntime, TEST_SECRET, type TestRuntime } from './runtime.js';
import { jsonCall, type JsonCall } from './json-call.js';

export const WAIT_MS = 10_000;

export interface Dashboard {
  rt: TestRuntime;
  url: string;
  page: Page;
  token: string;
  problems: string[];
  call: JsonCall;
  /** Saves a full-page screenshot as test-results/<name>.png. */
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Until the API serves `/` itself: the dashboard's files, everything else to the API handler. */
function dashboardShim(rt: TestRuntime): functions.HttpFunction {
  const api = createApiHandler(readyRuntime(rt));
  return async (req, res) => {
    const file = req.method === 'GET' ? serveDashboard(req.path) : null;
    if (!file) return api(req, res);
    res
      .status(file.status)
      .set({ ...DASHBOARD_HEADERS, 'Content-Type': file.contentType })
      .send(file.body);
  };
}

export async function startDashboard(name: string, user = 'alice'): Promise<Dashboard> {
  const executablePath = await ensureChromium();
  const rt = await testRuntime(name);
  const fn = `dashboard-${name}`;
  functions.http(fn, dashboardShim(rt));
  const server: Server = getTestServer(fn);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const token = await mintLocalToken(TEST_SECRET, user);
  const browser: Browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS], timeout: 20_000 });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(WAIT_MS);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return {
    rt,
    url,
    page,
    token,
    problems,
    call: jsonCall(url, token),
    async screenshot(file) {
      mkdirSync(path.join(REPO_ROOT, 'test-results'), { recursive: true });
      await page.screenshot({ path: path.join(REPO_ROOT, 'test-results', `${file}.png`), fullPage: true });
    },
    async close() {
      if (problems.length) process.stderr.write(`dashboard page problems:\n${problems.join('\n')}\n`);
      await browser.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rt.db.terminate();
    },
  };
}

/** Polls check() every 100 ms until it holds, or throws after ms. */
export async function until(what: string, check: () => Promise<boolean>, ms = WAIT_MS): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Opens the dashboard and signs in with the dashboard's token; resolves once the queue shows. */
export async function signIn(d: Dashboard): Promise<void> {
  await d.page.goto(d.url);
  await d.page.getByLabel('Bearer token').fill(d.token);
  await d.page.getByRole('button', { name: 'Sign in' }).click();
  await d.page.getByRole('heading', { name: 'Job queue' }).waitFor();
}

/** After a failed test, what the page showed (an afterEach of the browser tests). */
export async function showPageOnFailure(t: unknown, page: Page): Promise<void> {
  if ((t as { passed?: boolean }).passed === false)
    process.stderr.write(`page at ${page.url()}:\n${await page.locator('body').innerText()}\n`);
}
