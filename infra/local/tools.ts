/**
 * External tools the local stack needs, gathered in one place: prerequisite checks with one clear message per
 * missing thing (java.ts, gcloud.ts, and `go` when fake-gcs-server is not installed yet), the pinned Go tools
 * (go-tools.ts: fake-gcs-server and terraform, installed into <repo>/.tools/bin on first use), the pinned Python
 * tools (python-tools.ts: the schemathesis venv <repo>/.tools/venv-schemathesis, from PyPI on first use), and
 * port checks.
 */
import { nodeProblem } from './node-runtime.js';
import { createServer } from 'node:net';
import { checkGcloud } from './gcloud.js';
import { fakeGcsInstalled, goMissingMessage } from './go-tools.js';
import { which, type Problem } from './host.js';
import { checkJava } from './java.js';

export { GCLOUD_COMPONENTS, gcloudSdkRoot } from './gcloud.js';
export {
  ensureFakeGcs,
  ensureGoTool,
  FAKE_GCS,
  FAKE_GCS_MODULE,
  FAKE_GCS_VERSION,
  fakeGcsInstalled,
  GOFAKES3,
  goToolBinary,
  goToolInstalled,
  TERRAFORM,
  type GoTool,
} from './go-tools.js';
export { findRepoRoot, which, type Problem } from './host.js';
export { MIN_JAVA_VERSION, parseJavaMajor } from './java.js';
export {
  ensurePythonTool,
  ensureSchemathesis,
  pythonToolInstalled,
  SCHEMATHESIS,
  type PythonTool,
  type ToolCommand,
} from './python-tools.js';

/** Everything missing to run the stack, one problem per missing thing (empty when all is there). */
export async function checkPrerequisites(opts: { repoRoot: string }): Promise<Problem[]> {
  const [java, gcloud] = await Promise.all([checkJava(), checkGcloud()]);
  const problems: Problem[] = [];
  const node = nodeProblem();
  if (node) problems.push({ what: 'node', message: node });
  if (java) problems.push(java);
  problems.push(...gcloud);
  if (!fakeGcsInstalled(opts.repoRoot) && !which('go'))
    problems.push({ what: 'go', message: goMissingMessage(opts.repoRoot) });
  return problems;
}

function portInUseMessage(port: number, what: string, envVar?: string): string {
  return (
    `port ${port} (${what}) is in use — stop whatever uses it` +
    (envVar ? ` or set ${envVar}` : ' or choose another port')
  );
}

/** null when host:port can be listened on; otherwise the clear message why not. */
export function portProblem(host: string, port: number, what: string, envVar?: string): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      resolve(
        err.code === 'EADDRINUSE'
          ? portInUseMessage(port, what, envVar)
          : `port ${port} (${what}) cannot be used on ${host}: ${err.code ?? err.message}` +
              (envVar ? ` — set ${envVar}` : ''),
      );
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}
