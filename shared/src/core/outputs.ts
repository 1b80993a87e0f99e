/**
 * A job's declared outputs (issue 28, seed 004): each output is one name, or several alternatives of which any
 * one present counts (`anyOf`: a provider that writes `{id}_output_0.mp4` or `{id}.mp4`). `Job.outputUris`
 * holds every name any output may take, for the finalize trigger's array-contains look-up; `Job.outputs` holds
 * one state per output, with the name that was found.
 */
import type { Job, OutputName, OutputObservation, OutputState } from './model.js';

/** At most this many alternatives per output (declared and reported): a webhook cannot grow a job without end. */
export const MAX_OUTPUT_NAMES = 16;

/** The names an output may take, its declared name first. */
export function namesOf(o: Pick<OutputState, 'uri' | 'anyOf'>): string[] {
  return [o.uri, ...(o.anyOf ?? [])];
}

/**
 * The states and look-up list of declared outputs: `uris[i]` is output i's name, `alternatives[i]` (when given)
 * its other names. A name repeated in another output is kept only in the first.
 */
export function declareOutputs(
  uris: readonly string[],
  alternatives?: readonly (readonly string[])[],
): Pick<Job, 'outputs' | 'outputUris'> {
  const seen = new Set<string>(uris);
  const outputs = uris.map((uri, i): OutputState => {
    const anyOf = (alternatives?.[i] ?? []).filter((u) => !seen.has(u) && (seen.add(u), true));
    return { uri, present: false, generation: null, size: null, timeCreated: null, ...(anyOf.length ? { anyOf } : {}) };
  });
  return { outputs, outputUris: outputs.flatMap(namesOf) };
}

/** Output i's alternatives as declared, for a job made from another (a retry keeps them). */
export function alternativesOf(job: Pick<Job, 'outputs'>): string[][] {
  return job.outputs.map((o) => [...(o.anyOf ?? [])]);
}

/** Whether the observations show one name of every output present (`counts`: is an observation new enough). */
export function coversOutputs(
  job: Pick<Job, 'outputs'>,
  observations: readonly OutputObservation[],
  counts: (obs: OutputObservation) => boolean,
): boolean {
  return (
    job.outputs.length > 0 &&
    job.outputs.every((o) => observations.some((obs) => namesOf(o).includes(obs.uri) && counts(obs)))
  );
}

/**
 * Output `o` after observations of its names: present with the first name that counts (its declared name
 * first); absent when the name it was found under is seen gone, or when it was not found and no name counts.
 * Names not observed leave it as it was.
 */
export function observeOutput(
  o: OutputState,
  observations: readonly OutputObservation[],
  counts: (obs: OutputObservation) => boolean,
): OutputState {
  const names = namesOf(o);
  const seen = observations.filter((x) => names.includes(x.uri));
  if (seen.length === 0) return o;
  const hit = names.map((n) => seen.find((x) => x.uri === n && counts(x))).find((x) => x !== undefined);
  const base = { uri: o.uri, ...(o.anyOf ? { anyOf: o.anyOf } : {}) };
  if (hit)
    return {
      ...base,
      present: true,
      generation: hit.generation ?? null,
      size: hit.size ?? null,
      timeCreated: hit.timeCreated ?? null,
      ...(hit.uri !== o.uri ? { foundUri: hit.uri } : {}),
    };
  const foundUnder = o.foundUri ?? o.uri;
  // present under a name not observed this time: it stays present
  if (o.present && !seen.some((x) => x.uri === foundUnder)) return o;
  return { ...base, present: false, generation: null, size: null, timeCreated: null };
}

/** Where output `o` was found: the alternative's name, or its declared name. */
export function foundName(o: OutputState): string {
  return o.foundUri ?? o.uri;
}

/**
 * The outputs with names a webhook reported added as alternatives (already matched to the type's patterns);
 * null when none is new. A name for an output the job does not have, or already another output's, is dropped.
 */
export function withOutputNames(
  job: Pick<Job, 'outputs' | 'outputUris'>,
  names: readonly OutputName[] | undefined,
): Pick<Job, 'outputs' | 'outputUris'> | null {
  let outputs = job.outputs;
  for (const n of names ?? []) {
    const o = outputs[n.output];
    if (!o || (o.anyOf?.length ?? 0) >= MAX_OUTPUT_NAMES || outputs.some((x) => namesOf(x).includes(n.uri))) continue;
    outputs = outputs.map((x, i) => (i === n.output ? { ...x, anyOf: [...(x.anyOf ?? []), n.uri] } : x));
  }
  return outputs === job.outputs ? null : { outputs, outputUris: outputs.flatMap(namesOf) };
}
