/**
 * The operator dashboard: static files (no build step) served by the API: `index.html` at `/`, the stylesheet, the
 * icon and the ES modules each at `/<name>` (`app.js` is the entry; it imports the others by same-origin URL, which
 * `script-src 'self'` allows). Only the files named in DASHBOARD_MODULES are served. tsc does not copy non-TS
 * files, so they are read from the source folder (`functions/api/dashboard/static/…` under REPO_ROOT; the api's
 * deploy folder ships the whole folder), once, on first use.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../../shared/src/config/env.js';

export interface DashboardFile {
  status: number;
  contentType: string;
  body: Buffer;
}

/** Strict: every script and style from this origin only, no inline script or style, no framing. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers to send with every dashboard file (the CSP plus no sniffing and no caching of a stale UI). */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

export const DASHBOARD_DIR = path.join(REPO_ROOT, 'functions', 'api', 'dashboard', 'static');

/** Every script of the dashboard: the entry, then the modules it imports (see app.js for what each does). */
export const DASHBOARD_MODULES = [
  'app.js',
  'api-client.js',
  'charts.js',
  'dialog.js',
  'dom.js',
  'filters.js',
  'format.js',
  'queue-groups.js',
  'router.js',
  'saved-views.js',
  'session.js',
  'sse.js',
  'timeline.js',
  'view-bulk.js',
  'view-deliveries.js',
  'view-diagnosis.js',
  'view-health.js',
  'view-job.js',
  'view-project.js',
  'view-projects.js',
  'view-queue.js',
  'view-subscriptions.js',
] as const;

const JAVASCRIPT = 'text/javascript; charset=utf-8';

const FILES: Record<string, { file: string; contentType: string }> = {
  '/': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/app.css': { file: 'app.css', contentType: 'text/css; charset=utf-8' },
  // linked from index.html (img-src 'self'): without it Chromium asks for /favicon.ico, a 404 on every load
  '/favicon.svg': { file: 'favicon.svg', contentType: 'image/svg+xml' },
  ...Object.fromEntries(DASHBOARD_MODULES.map((file) => [`/${file}`, { file, contentType: JAVASCRIPT }])),
};

const cache = new Map<string, Buffer>();

/** The dashboard file for a request path, or null when the path is not one of the files above (exact match). */
export function serveDashboard(requestPath: string): DashboardFile | null {
  const entry = Object.prototype.hasOwnProperty.call(FILES, requestPath) ? FILES[requestPath] : undefined;
  if (!entry) return null;
  let body = cache.get(entry.file);
  if (!body) {
    try {
      body = readFileSync(path.join(DASHBOARD_DIR, entry.file));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return {
        status: 500,
        contentType: 'text/plain; charset=utf-8',
        body: Buffer.from(`dashboard file ${entry.file} is missing under ${DASHBOARD_DIR}: ${reason}\n`),
      };
    }
    cache.set(entry.file, body);
  }
  return { status: 200, contentType: entry.contentType, body };
}
