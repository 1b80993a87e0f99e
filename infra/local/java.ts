/** Java, which the Firestore and Pub/Sub emulators run on: is a recent enough one on PATH? */
import { runShort, which, type Problem } from './host.js';

export const MIN_JAVA_VERSION = 17;

/** Major Java version from `java -version` output ("1.8.0_x" → 8, "17.0.15" → 17), or null. */
export function parseJavaMajor(versionOutput: string): number | null {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m?.[1]) return null;
  const major = Number(m[1]);
  return major === 1 && m[2] ? Number(m[2]) : major;
}

/** The problem with this machine's `java`, or null when it will do. */
export async function checkJava(): Promise<Problem | null> {
  const install = 'install a Java 17+ runtime (e.g. `apt-get install openjdk-17-jre-headless`) and put `java` on PATH';
  if (!which('java')) {
    return {
      what: 'java',
      message: `java not found on PATH (the Firestore and Pub/Sub emulators need Java ${MIN_JAVA_VERSION}+) — ${install}`,
    };
  }
  const res = await runShort('java', ['-version']);
  const major = parseJavaMajor(res.output);
  if (major === null) {
    return {
      what: 'java',
      message: `could not read the version of \`java\` (\`java -version\` said: ${res.output.trim().split('\n')[0] ?? ''}) — ${install}`,
    };
  }
  if (major < MIN_JAVA_VERSION) {
    return { what: 'java', message: `java ${major} found, the emulators need Java ${MIN_JAVA_VERSION}+ — ${install}` };
  }
  return null;
}
