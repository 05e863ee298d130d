// The configuration reference (docs/configuration.md) rendered from the schema, so the two never drift.

import { KNOBS } from './schema.js';

export interface KnobDescription {
  /** The ProxyConfig field. */
  name: string;
  env: string;
  /** As the reference shows it; null = unset by default. */
  default: string | null;
  /** What a value must be, in the words of the error a bad value gets. */
  allowed: string;
  doc: string;
}

/** The generated table sits between these two lines; the prose around them is written by hand. */
export const CONFIG_REFERENCE_BEGIN =
  '<!-- generated from packages/config/src/schema.ts by `corepack pnpm docs:config`; do not edit by hand -->';
export const CONFIG_REFERENCE_END = '<!-- end of the generated reference -->';

export function describeConfig(): KnobDescription[] {
  return Object.entries(KNOBS).map(([name, knob]) => ({
    name,
    env: knob.env,
    default: 'shownDefault' in knob ? knob.shownDefault : knob.default,
    allowed: allowedValues(knob.check),
    doc: knob.doc,
  }));
}

/**
 * A check names what is allowed when it refuses a value. Every check refuses the empty string
 * (which the loader never passes it: an empty variable counts as unset), so asking it about ''
 * gives that sentence without a second description to keep in step.
 */
function allowedValues(check: (raw: string) => unknown): string {
  try {
    check('');
  } catch (rule) {
    return String(rule).replace(/^must (be |list )?/, '');
  }
  return 'any value';
}

/** The markdown table of every knob, in schema order. */
export function renderConfigReference(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const code = (text: string) => `\`${text.replace(/\|/g, '\\|')}\``;
  const lines = ['| variable | default | allowed | meaning |', '| --- | --- | --- | --- |'];
  for (const knob of describeConfig()) {
    const shown = knob.default === null ? 'unset' : /^[\w.:/-]+$/.test(knob.default) ? code(knob.default) : cell(knob.default);
    lines.push(`| ${code(knob.env)} | ${shown} | ${cell(knob.allowed)} | ${cell(knob.doc)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `markdown` with the generated table between the markers replaced by today's: the file the
 * schema implies. Throws when a marker is missing, naming it.
 */
export function spliceConfigReference(markdown: string): string {
  const begin = markdown.indexOf(CONFIG_REFERENCE_BEGIN);
  const end = markdown.indexOf(CONFIG_REFERENCE_END);
  if (begin < 0 || end < begin) {
    throw new Error(
      `the configuration reference needs the lines\n${CONFIG_REFERENCE_BEGIN}\n${CONFIG_REFERENCE_END}\nin this order`,
    );
  }
  const head = markdown.slice(0, begin + CONFIG_REFERENCE_BEGIN.length);
  return `${head}\n\n${renderConfigReference()}\n${markdown.slice(end)}`;
}
