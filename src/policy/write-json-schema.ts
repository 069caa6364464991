/**
 * `npm run schema`: writes policies/policy.schema.json (or the path given as the first
 * argument) from the zod schema. json-schema.test.ts fails when the committed file differs
 * from what this writes, so run it after every schema change.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderPolicyJsonSchema } from './json-schema.js';

// Two levels up from dist/policy, where `npm run schema` runs this from.
const target = process.argv[2] ?? fileURLToPath(new URL('../../policies/policy.schema.json', import.meta.url));
await writeFile(target, renderPolicyJsonSchema(), 'utf8');
process.stdout.write(`wrote ${target}\n`);
