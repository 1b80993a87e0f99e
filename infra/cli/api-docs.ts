/** Writes docs/api.md from the OpenAPI document: `npm run docs:api`. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderApiReference } from '../../functions/api/openapi/reference.js';
import { localApiDocument } from '../../functions/api/openapi/document.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const target = path.join(root, 'docs/api.md');
writeFileSync(target, renderApiReference(localApiDocument()));
process.stdout.write(`wrote ${path.relative(root, target)}\n`);
