/**
 * The operator dashboard: three static files (no build step) served by the API at `/`, `/app.js` and
 * `/app.css`. tsc does not copy non-TS files, so they are read from the source folder
 * (`functions/api/dashboard/…` under REPO_ROOT), once, on first use.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../shared/src/config/env.js';

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

export const DASHBOARD_DIR = path.join(REPO_ROOT, 'functions', 'api', 'dashboard');

const FILES: Record<string, { file: string; contentType: string }> = {
  '/': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', contentType: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', contentType: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Buffer>();

/** The dashboard file for a request path, or null when the path is not one of the three. */
export function serveDashboard(requestPath: string): DashboardFile | null {
  const entry = Object.prototype.hasOwnProperty.call(FILES, requestPath) ? FILES[requestPath] : undefined;
  if (!entry) return null;
  let body = cache.get(entry.file);
  if (!body) {
    try {
      body = readFileSync(path.join(DASHBOARD_DIR, entry.file));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return { status: 500, contentType: 'text/plain; charset=utf-8', body: Buffer.from(`dashboard file ${entry.file} is missing under ${DASHBOARD_DIR}: ${reason}\n`) };
    }
    cache.set(entry.file, body);
  }
  return { status: 200, contentType: entry.contentType, body };
}
