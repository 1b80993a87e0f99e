/** One function of the local stack: how `npm start` runs it (stack.ts) and wires its push subscription (push.ts). */
export interface FunctionSpec {
  /** The functions-framework target (the name given to functions.http / functions.cloudEvent). */
  target: string;
  /** The compiled module, relative to the repo root (e.g. 'dist/functions/api/index.js') or absolute. */
  source: string;
  port: number;
  signature: 'http' | 'cloudevent';
  /** Push every message of `topic` to this function, through a push subscription named `subscription`. */
  push?: { readonly name: string; readonly topic: string };
  /** The env var that overrides `port`, named in the "port in use" message. */
  portEnv?: string;
  /** Extra env for this function only. */
  env?: Record<string, string>;
  /** A plain node script instead of a functions-framework target (e.g. the demo provider); `target` names it. */
  script?: string;
}
