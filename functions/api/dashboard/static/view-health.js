// Health: what recovered what, and how fast (GET /api/stats/recoveries). Charts over the window's twelve
// buckets (transitions and recoveries, failure rate, time to recover), recoveries by source, failure rate by
// type, the work avoided; live: every transition on /api/events refreshes it (debounced), polling when down.
import { client, streams } from './api-client.js';
import { barChart, stackedChart } from './charts.js';
import { crumbs, debounce, h, replace, section, showError, table } from './dom.js';
import { fmtClock, fmtTime } from './format.js';
import { live } from './sse.js';

const WINDOWS = ['1h', '24h', '7d'];
const WINDOW_KEY = 'verity.health.window';

const rate = (r) => (r === null || r === undefined ? null : Math.round(r * 1000) / 10);

function charts(s) {
  // a bucket in words: `2026-12-08 14:00–16:00 UTC` (format.js: one format, the zone named); ticks in UTC too
  const label = (b) => `${fmtTime(b.start).slice(0, 16)}–${fmtClock(b.end)} UTC`;
  const series = (f, text) =>
    s.series.map((b) => ({ label: label(b), short: fmtClock(b.start), value: f(b), text: text?.(b) }));
  const sources = Object.keys(s.bySource);
  const types = [...new Set(s.series.flatMap((b) => Object.keys(b.byType ?? {})))];
  return [
    stackedChart({
      title: 'Transitions by source over time',
      bars: s.series.map((b) => ({ label: label(b), short: fmtClock(b.start), parts: b.bySource ?? {} })),
      series: sources,
    }),
    barChart({
      title: 'Recoveries over time (set by a read, a reconcile or the sweep)',
      bars: series((b) => b.recovered),
      cls: 'c-recovered',
    }),
    barChart({
      title: 'Failure rate over time: failed / (succeeded + failed)',
      bars: series((b) => rate(b.failureRate)),
      unit: ' %',
      cls: 'c-failed',
    }),
    ...types.map((t) =>
      barChart({
        title: `Failure rate of ${t} over time`,
        bars: series((b) => rate(b.byType?.[t]?.failureRate)),
        unit: ' %',
        cls: 'c-failed',
      }),
    ),
    barChart({
      title: 'Median time to recover over time',
      bars: series((b) => b.secondsToRecoverP50),
      unit: ' s',
      cls: 'c-recover-time',
    }),
  ];
}

function bySource(s) {
  return barChart({
    title: 'Transitions by source in the window',
    bars: Object.entries(s.bySource).map(([k, v]) => ({ label: k, value: v })),
    cls: 'c-sources',
  });
}

function byType(s) {
  const rows = Object.entries(s.byType).map(([type, t]) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, type),
      h('td', {}, t.succeeded),
      h('td', {}, t.failed),
      h('td', {}, t.canceled),
      h('td', {}, t.failureRate === null ? '—' : `${rate(t.failureRate)} %`),
    ),
  );
  return rows.length
    ? table({}, 'Ended jobs by type', ['Type', 'Succeeded', 'Failed', 'Canceled', 'Failure rate'], h('tbody', {}, rows))
    : h('p', { class: 'muted' }, 'No job ended in this window.');
}

export function healthView(view, signal) {
  const select = h(
    'select',
    { id: 'h-window', name: 'window' },
    WINDOWS.map((w) => h('option', { value: w }, `last ${w}`)),
  );
  select.value = sessionStorage.getItem(WINDOW_KEY) ?? '24h';
  const headline = h('p', { class: 'health-headline', role: 'status' }, 'Loading the statistics…');
  const overTime = h('div', { class: 'charts' });
  const sources = h('div', { class: 'charts' });
  const types = h('div');
  const avoided = h('p');
  const indicator = h('p', { class: 'conn', role: 'status' });
  replace(
    view,
    crumbs(),
    h('h1', {}, 'Health'),
    h('div', { class: 'field' }, h('label', { for: 'h-window' }, 'Window'), select),
    indicator,
    headline,
    section('h-time', 'Over time', h('p', { class: 'muted' }, 'The window in twelve buckets; times in UTC.'), overTime),
    section('h-src', 'What recovered what', sources),
    section('h-type', 'Failure rate by type', types),
    section('h-avoided', 'Work avoided', avoided),
  );

  let asked = 0; // the last load asked: an answer to an earlier one (another window) is dropped
  async function load() {
    const mine = ++asked;
    let s;
    try {
      s = await client.stats(select.value);
    } catch (err) {
      if (mine === asked) showError(err);
      return;
    }
    if (signal.aborted || mine !== asked) return;
    const r = s.recovered;
    const t = r.secondsToRecover;
    headline.textContent =
      `Last ${s.window}: ${s.transitions} transitions, ${r.count} recovered ` +
      `(read ${r.bySource.read ?? 0}, reconcile ${r.bySource.reconcile ?? 0}, sweep ${r.bySource.sweep ?? 0}); ` +
      `time to recover p50 ${t.p50 ?? '—'} s, p99 ${t.p99 ?? '—'} s.`;
    replace(overTime, charts(s));
    replace(sources, bySource(s));
    replace(types, byType(s));
    avoided.textContent =
      `${s.avoided.outputsAlreadyPresent} jobs found their outputs already there; ` +
      `${s.avoided.artifactsNotRegenerated} project artifacts were not generated again; ` +
      `${s.avoided.stepsSkipped} steps skipped.`;
  }

  select.addEventListener('change', () => {
    sessionStorage.setItem(WINDOW_KEY, select.value);
    load().catch(() => {});
  });
  const refreshSoon = debounce(signal, 1000, load);
  load().catch(() => {});
  live(signal, streams.all, {
    indicator,
    poll: load,
    onEvent: ({ type }) => {
      if (type === 'transition') refreshSoon();
    },
  });
}
