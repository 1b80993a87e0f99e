/**
 * Checks of the dashboard page as it is, beyond axe-core's rules (test/e2e/a11y.test.ts): every control reached
 * by the keyboard with a focus ring to see, no state told by colour alone, every time written one way. Each
 * answers a list of problems, empty when the page passes.
 */
import type { Page } from 'playwright-core';

// the page's globals, for the functions page.evaluate runs there (the project compiles without the DOM library)
declare const document: any, getComputedStyle: (el: any) => any;

/** The one way a time reads on the dashboard (format.js fmtTime): `2026-12-08 14:03:07 UTC`. */
const ONE_FORMAT = /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/g;

/**
 * Tabs through the page from its top (or round its open modal dialog): every control a pointer could use (link,
 * button, field, summary) must take the focus, and show a ring when it has it (:focus-visible: an outline at least
 * 2 px wide).
 */
export async function focusProblems(page: Page): Promise<string[]> {
  const count = await page.evaluate(() => {
    const sel =
      'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
      'textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
    // shown: not in a closed <details> (content-visibility: hidden), a hidden element or a closed dialog
    // with a modal dialog open the page behind it is inert: its controls are the dialog's
    const scope = document.querySelector('dialog:modal') ?? document;
    const controls = [...scope.querySelectorAll(sel)].filter(
      (el: any) => el.checkVisibility({ visibilityProperty: true }) && !el.closest('[inert], dialog:not([open])'),
    );
    controls.forEach((el: any, i: number) => el.setAttribute('data-kb', String(i)));
    document.activeElement?.blur();
    return controls.length;
  });
  const reached = new Set<string>();
  const problems: string[] = [];
  for (let i = 0; i < count + 10; i++) {
    await page.keyboard.press('Tab');
    const at = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const cs = getComputedStyle(el);
      const ring = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
      const text = (el.textContent || el.getAttribute('aria-label') || el.id).trim().slice(0, 40);
      return { kb: el.getAttribute('data-kb'), ring, name: `${el.tagName.toLowerCase()} "${text}"` };
    });
    if (at === null) continue;
    if (at.kb !== null && reached.has(at.kb)) break; // round the page once
    if (at.kb !== null) reached.add(at.kb);
    if (!at.ring) problems.push(`no visible focus ring on ${at.name}`);
  }
  const missed = await page.evaluate(
    (seen) => {
      const out: string[] = [];
      for (const el of document.querySelectorAll('[data-kb]')) {
        const kb = el.getAttribute('data-kb')!;
        el.removeAttribute('data-kb');
        if (seen.includes(kb)) continue;
        if (el.matches('input[type="radio"]')) continue; // one radio of a group takes the focus; arrows move it
        const text = (el.textContent || el.getAttribute('aria-label') || el.id).trim().slice(0, 40);
        out.push(`${el.tagName.toLowerCase()} "${text}"`);
      }
      return out;
    },
    [...reached],
  );
  return [...problems, ...missed.map((m) => `not reached by Tab: ${m}`)];
}

/**
 * A state shown in colour (a class naming it: status-*, delivery-*, sub-*, project-*, present, missing, the
 * recovered and corrected highlights) must also be said in the element's text (visible or for screen readers).
 */
export async function colourOnly(page: Page): Promise<string[]> {
  const states = [
    ...['queued', 'running', 'succeeded', 'failed', 'canceled', 'generating', 'ready', 'error', 'draft'],
    ...['active', 'disabled', 'pending', 'delivered', 'dead', 'completed', 'skipped', 'recovered', 'corrected'],
  ].join('|');
  return page.evaluate((STATE) => {
    const STATE_CLASS = new RegExp(`^(?:status|delivery|sub|sub-card|project|stat|step|hl|tl|reason)-(${STATE})$`);
    const out: string[] = [];
    for (const el of document.querySelectorAll('[class]')) {
      if (el.closest('svg, [hidden]')) continue; // the charts' colours name series a legend and a table say
      for (const cls of el.classList) {
        const m = STATE_CLASS.exec(cls) ?? /^(present|missing)$/.exec(cls);
        if (!m) continue;
        const words = m[1] === 'present' ? ['present', 'seen'] : [m[1]!]; // evidence "seen" is present
        const text = (el.textContent ?? '').toLowerCase();
        if (!words.some((w) => text.includes(w)))
          out.push(`${el.tagName.toLowerCase()}.${cls} does not say "${m[1]}" in words`);
      }
    }
    return out;
  }, states);
}

/**
 * Times in one format: each <time> reads `YYYY-MM-DD HH:MM:SS UTC`; with scope 'main', the whole text of the
 * page's main region too (out of its charts), so a time written another way (a locale's, an ISO one) shows.
 */
export async function timeProblems(page: Page, scope: 'time' | 'main'): Promise<string[]> {
  const { times, text } = await page.evaluate(() => {
    const main = document.querySelector('main');
    const charts: any[] = [...main.querySelectorAll('svg:not([hidden])')];
    charts.forEach((s) => s.setAttribute('hidden', '')); // their ticks (`14:00`) are not times of a record
    const text = main.innerText.replace(/\n/g, ' ');
    charts.forEach((s) => s.removeAttribute('hidden'));
    return { times: [...main.querySelectorAll('time')].map((t: any) => String(t.innerText)), text };
  });
  const out = times.filter((t) => t.replace(ONE_FORMAT, '') !== '').map((t) => `a <time> reads "${t}"`);
  if (scope === 'main') {
    const rest = text.replace(ONE_FORMAT, '');
    for (const re of [/\d{1,2}:\d{2}/g, /\d{1,2}\/\d{1,2}\/\d{2,4}/g, /\d{4}-\d{2}-\d{2}T/g, /\b[AP]M\b/g]) {
      for (const m of rest.matchAll(re))
        out.push(`a time not in the one format: "…${rest.slice(Math.max(0, m.index - 30), m.index + 30)}…"`);
    }
  }
  return out;
}
