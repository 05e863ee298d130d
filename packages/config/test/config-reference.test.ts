import { readFileSync } from 'node:fs';
import { CONFIG_REFERENCE_BEGIN, describeConfig, renderConfigReference, spliceConfigReference } from '@acestream-proxy/config';
import { describe, expect, it } from '@jest/globals';

const DOC = new URL('../../../docs/configuration.md', import.meta.url);

describe('the configuration reference', () => {
  it('docs/configuration.md lists every knob as the schema defines it', () => {
    const committed = readFileSync(DOC, 'utf8');
    const generated = spliceConfigReference(committed);
    if (committed !== generated) {
      throw new Error(
        'docs/configuration.md differs from packages/config/src/schema.ts: run `corepack pnpm docs:config` and commit the file',
      );
    }
    for (const knob of describeConfig()) expect(committed).toContain(`| \`${knob.env}\` |`);
  });

  it('names what each knob allows, in the words of its error, and no machine-dependent default', () => {
    const table = renderConfigReference();
    expect(table).toContain('| `PORT` | `8000` | a whole number from 0 to 65535 |');
    expect(table).toContain('| `TRUST_PROXY` | `false` | true or false (also 1/0, yes/no, on/off) |');
    expect(table).toContain('| `WORKERS` | the CPU count |');
    expect(table).toContain('| `REDIS_URL` | unset | a URL starting with redis:// or rediss:// |');
  });

  it('refuses a file without the markers, saying which lines it needs', () => {
    expect(() => spliceConfigReference('# Configuration\n')).toThrow(CONFIG_REFERENCE_BEGIN);
  });
});
