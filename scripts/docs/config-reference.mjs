// `pnpm docs:config`: rewrites the generated table of docs/configuration.md from the config schema.
// Run after adding or changing a knob; packages/config/test/config-reference.test.ts fails until then.
import { readFileSync, writeFileSync } from 'node:fs';
import { spliceConfigReference } from '../../packages/config/dist/index.js';

const file = new URL('../../docs/configuration.md', import.meta.url);
const before = readFileSync(file, 'utf8');
const after = spliceConfigReference(before);
if (after === before) {
  console.log('docs/configuration.md is up to date');
} else {
  writeFileSync(file, after);
  console.log('docs/configuration.md rewritten from packages/config/src/schema.ts');
}
