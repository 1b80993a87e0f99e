/**
 * A type's output declarations (issue 28): each is one URI template, or `{ anyOf, reported? }` — alternative
 * names of which any one present counts (seed 004), and a pattern a provider's webhook `outputUrl` must match
 * to be looked for as one more name of that output (never a URL outside it). Templates take {bucket}, {jobId}
 * and (an http provider's) {externalJobId}; a pattern's `*` stands for one or more characters of one path
 * segment. The URL a webhook reports is still only a name: the output counts once a probe finds it.
 */
import { z } from 'zod';
import { fillTemplate } from './gcs-uri.js';

const Template = z.string().min(1).max(1024);

export const OutputTemplateSchema = z.union([
  Template,
  z
    .object({
      anyOf: z.array(Template).min(1).max(8),
      reported: Template.optional(),
    })
    .strict(),
]);
export type OutputTemplate = z.infer<typeof OutputTemplateSchema>;

/** Every name a declaration may give (templates, and its pattern with `*` filled), for the startup store check. */
export function declaredTemplates(t: OutputTemplate): string[] {
  if (typeof t === 'string') return [t];
  return [...t.anyOf, ...(t.reported ? [t.reported.replaceAll('*', 'x')] : [])];
}

/** The outputs the declarations name: `uris[i]` output i's first name, `alternatives[i]` its others. */
export function fillOutputs(
  templates: readonly OutputTemplate[],
  values: Record<string, string>,
): { uris: string[]; alternatives: string[][] } {
  const names = templates.map((t) => (typeof t === 'string' ? [t] : t.anyOf).map((x) => fillTemplate(x, values)));
  return { uris: names.map((n) => n[0]!), alternatives: names.map((n) => n.slice(1)) };
}

/** Whether any declaration has alternatives (so a job records them). */
export function hasAlternatives(templates: readonly OutputTemplate[]): boolean {
  return templates.some((t) => typeof t !== 'string' && t.anyOf.length > 1);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The output (index) whose `reported` pattern the URL matches, or -1. The pattern's {placeholders} are filled
 * first (so a URL for another provider job never matches); `*` matches within one path segment, never `/`,
 * `?`, `#`, `@` or `:` — the URL's host and path stay those the pattern names.
 */
export function reportedOutput(
  templates: readonly OutputTemplate[],
  values: Record<string, string>,
  url: string,
): number {
  return templates.findIndex((t) => {
    if (typeof t === 'string' || !t.reported) return false;
    const filled = fillTemplate(t.reported, values);
    const re = new RegExp(`^${filled.split('*').map(escape).join('[^/?#@:]+')}$`);
    return re.test(url);
  });
}
