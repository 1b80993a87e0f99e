/** The Google Cloud SDK and the emulator components the local stack runs: installed, or what to install. */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runShort, which, type Problem } from './host.js';

/** gcloud components the stack runs (ids as in `gcloud components list`). */
export const GCLOUD_COMPONENTS = ['cloud-firestore-emulator', 'pubsub-emulator'] as const;

/** The gcloud SDK root: from the real path of `gcloud` (fast), else `gcloud info` (about a second). */
export async function gcloudSdkRoot(gcloudPath: string): Promise<string | null> {
  try {
    const guess = dirname(dirname(realpathSync(gcloudPath)));
    if (existsSync(join(guess, 'platform')) || existsSync(join(guess, '.install'))) return guess;
  } catch {
    // fall through
  }
  const res = await runShort(gcloudPath, ['info', '--format=value(installation.sdk_root)']);
  const root = res.output.trim().split('\n').pop()?.trim();
  return res.code === 0 && root && existsSync(root) ? root : null;
}

function componentInstalled(sdkRoot: string, id: string): boolean {
  if (existsSync(join(sdkRoot, '.install', `${id}.manifest`))) return true;
  if (id === 'beta') return existsSync(join(sdkRoot, 'lib', 'surface', 'beta'));
  return existsSync(join(sdkRoot, 'platform', id));
}

const APT_PACKAGES: Readonly<Record<string, string>> = {
  'cloud-firestore-emulator': 'google-cloud-cli-firestore-emulator',
  'pubsub-emulator': 'google-cloud-cli-pubsub-emulator',
  beta: 'google-cloud-cli',
};

/** One problem per missing thing: gcloud itself, or each component it lacks (empty when all is there). */
export async function checkGcloud(): Promise<Problem[]> {
  const gcloud = which('gcloud');
  if (!gcloud) {
    return [
      {
        what: 'gcloud',
        message:
          'gcloud (Google Cloud SDK) not found on PATH — install it (https://cloud.google.com/sdk/docs/install) ' +
          'with the components cloud-firestore-emulator and pubsub-emulator',
      },
    ];
  }
  const root = await gcloudSdkRoot(gcloud);
  if (!root)
    return [
      {
        what: 'gcloud',
        message: `could not find the Google Cloud SDK root of ${gcloud} (\`gcloud info\` failed) — reinstall the Google Cloud SDK`,
      },
    ];
  const problems: Problem[] = [];
  for (const id of [...GCLOUD_COMPONENTS, 'beta']) {
    if (componentInstalled(root, id)) continue;
    const apt = APT_PACKAGES[id];
    problems.push({
      what: `gcloud component ${id}`,
      message:
        `gcloud component ${id} is not installed (SDK at ${root}) — run \`gcloud components install ${id}\`` +
        (apt ? ` (for an apt-installed SDK: \`apt-get install ${apt}\`)` : ''),
    });
  }
  return problems;
}
