// How values read on the page: times (one format, in UTC), durations and the status and reason badges.
import { h } from './dom.js';

export const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'];
export const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);

/**
 * Every time on every page reads one way, in UTC with the zone named: `2026-12-08 14:03:07 UTC` — the form the
 * API's own sentences use (the diagnosis summary, shared/src/core/diagnose-text.ts), so a page never mixes two.
 * Views format times only through here (fmtTime, timeEl, fmtClock), never with toLocaleString.
 */
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export const timeEl = (iso) => (iso ? h('time', { dateTime: iso }, fmtTime(iso)) : '—');

/** The hour and minute of a time in UTC (`14:03`), for chart ticks; the chart names the zone. */
export function fmtClock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().slice(11, 16);
}

export function fmtSeconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  const n = Math.max(0, Math.round(s));
  return n >= 60 ? `${Math.floor(n / 60)} min ${n % 60} s` : `${n} s`;
}

export const fmtPct = (pct) => `${Math.round(pct)}%`;

/** The badge class of a status reason: evidence-based recoveries and corrections stand out. */
export function reasonClass(reason, source) {
  if (!reason) return 'normal';
  if (reason === 'LATE_OUTPUT' || reason === 'OUTPUT_ALREADY_PRESENT') return 'recovered';
  if (reason === 'OUTPUT_FOUND')
    return !source || ['gcs', 'read', 'sweep', 'reconcile'].includes(source) ? 'recovered' : 'normal';
  if (reason.endsWith('_TIMEOUT') || reason === 'EXECUTOR_LOST' || reason === 'OUTPUT_MISSING') return 'corrected';
  return 'normal';
}

const REASON_TITLES = {
  recovered: 'recovered from evidence',
  corrected: 'corrected: the job stopped answering',
};

export function reasonBadge(reason, source) {
  if (!reason) return h('span', { class: 'muted' }, '—');
  const cls = reasonClass(reason, source);
  const hint = cls !== 'normal' ? h('span', { class: 'visually-hidden' }, ` (${REASON_TITLES[cls]})`) : null;
  return h('span', { class: `badge reason-${cls}`, title: REASON_TITLES[cls] ?? '' }, reason, hint);
}

export const statusBadge = (status) => h('span', { class: `badge status-${status}` }, status ?? '—');

/** A present/missing badge for an output or an artifact; label is how the page words it. */
export const presenceBadge = (present, label) =>
  h('span', { class: `badge ${present ? 'present' : 'missing'}` }, label);
