#!/usr/bin/env node
// `npx verity …` from the repo: runs the compiled CLI (npm run build first, or use `npm run verity -- …`).
import('../../dist/infra/cli/main.js').catch((err) => {
  process.stderr.write(`verity: cannot load the CLI (${err.message}); run "npm run build" first\n`);
  process.exit(1);
});
