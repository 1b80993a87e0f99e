// Accessible SVG charts, built with the DOM API (the CSP allows no inline style): each is an <svg role="img">
// labelled by its <title> and described by a <desc> that says the data in words, and comes with the same data as
// a table in a <details> for screen readers and keyboard users. Colours come from app.css classes.
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
let seq = 0;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** A bar's label under the axis; with more than 8 bars every other one, so the labels never run together. */
const tick = (i, n, x, y, text) =>
  n > 8 && i % 2 === 1 ? null : s('text', { x, y, 'text-anchor': 'middle', class: 'tick' }, text);

/**
 * A bar chart: bars = [{label, value, text?}] (value ≥ 0; null draws no bar and reads "no data"), one bar per
 * entry, left to right. `unit` follows each value in the words. Returns a <figure> with the chart and its table.
 */
export function barChart({ title, bars, unit = '', cls = '' }) {
  const id = `chart-${++seq}`;
  const W = 600;
  const H = 160;
  const pad = 24;
  const max = Math.max(1, ...bars.map((b) => b.value ?? 0));
  const bw = (W - 2 * pad) / Math.max(1, bars.length);
  const words = (b) => (b.value === null || b.value === undefined ? 'no data' : `${b.text ?? b.value}${unit}`);
  const desc = bars.map((b) => `${b.label}: ${words(b)}`).join('; ');
  const svg = s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${id}-t ${id}-d`, class: `chart ${cls}` },
    s('title', { id: `${id}-t` }, title),
    s('desc', { id: `${id}-d` }, desc || 'no data'),
    s('line', { x1: pad, y1: H - pad, x2: W - pad, y2: H - pad, class: 'axis' }),
    ...bars.map((b, i) => {
      const v = b.value ?? 0;
      const bh = ((H - 2 * pad) * v) / max;
      return s(
        'g',
        {},
        b.value === null || b.value === undefined
          ? null
          : s('rect', { x: pad + i * bw + 2, y: H - pad - bh, width: Math.max(1, bw - 4), height: bh, class: 'bar' }),
        tick(i, bars.length, pad + i * bw + bw / 2, H - 6, b.short ?? b.label),
      );
    }),
    s('text', { x: pad, y: 16, class: 'tick' }, `max ${max}${unit}`),
  );
  const rows = bars.map((b) => h('tr', {}, h('th', { scope: 'row' }, b.label), h('td', {}, words(b))));
  return h(
    'figure',
    { class: 'chart-figure' },
    svg,
    h(
      'details',
      {},
      h('summary', {}, `${title}: the data as a table`),
      h('table', {}, h('caption', {}, title), h('tbody', {}, rows)),
    ),
  );
}

/**
 * A stacked bar chart: one bar per entry of `bars` ({label, short?, parts: {series: value}}), each split by
 * `series` (drawn bottom up, a class `s-{i}` each, named in a legend); the table has a column per series.
 */
export function stackedChart({ title, bars, series }) {
  const id = `chart-${++seq}`;
  const W = 600;
  const H = 170;
  const pad = 24;
  const total = (b) => series.reduce((sum, k) => sum + (b.parts[k] ?? 0), 0);
  const max = Math.max(1, ...bars.map(total));
  const bw = (W - 2 * pad) / Math.max(1, bars.length);
  const words = (b) =>
    series
      .filter((k) => b.parts[k])
      .map((k) => `${k} ${b.parts[k]}`)
      .join(', ') || 'none';
  const svg = s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${id}-t ${id}-d`, class: 'chart stacked' },
    s('title', { id: `${id}-t` }, title),
    s('desc', { id: `${id}-d` }, bars.map((b) => `${b.label}: ${words(b)}`).join('; ') || 'no data'),
    s('line', { x1: pad, y1: H - pad, x2: W - pad, y2: H - pad, class: 'axis' }),
    ...bars.map((b, i) => {
      let y = H - pad;
      const rects = series.map((k, j) => {
        const v = b.parts[k] ?? 0;
        const bh = ((H - 2 * pad) * v) / max;
        y -= bh;
        return v
          ? s('rect', { x: pad + i * bw + 2, y, width: Math.max(1, bw - 4), height: bh, class: `bar s-${j}` })
          : null;
      });
      return s('g', {}, ...rects, tick(i, bars.length, pad + i * bw + bw / 2, H - 6, b.short ?? b.label));
    }),
    s('text', { x: pad, y: 16, class: 'tick' }, `max ${max}`),
  );
  const legend = h(
    'ul',
    { class: 'legend', 'aria-hidden': 'true' },
    series.map((k, j) => h('li', {}, h('span', { class: `swatch s-${j}` }), ` ${k}`)),
  );
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col' }, 'Bucket'),
    series.map((k) => h('th', { scope: 'col' }, k)),
  );
  const rows = bars.map((b) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, b.label),
      series.map((k) => h('td', {}, b.parts[k] ?? 0)),
    ),
  );
  return h(
    'figure',
    { class: 'chart-figure' },
    svg,
    legend,
    h(
      'details',
      {},
      h('summary', {}, `${title}: the data as a table`),
      h('table', {}, h('caption', {}, title), h('thead', {}, head), h('tbody', {}, rows)),
    ),
  );
}
