/**
 * `.env.example`, rendered from the schema in env-schema.ts: each variable's description,
 * an example where it has one, and its default (blank: unset). `npm run env:example` writes it;
 * test/config.test.ts fails while the committed file differs.
 */
import { EnvSchema, envDefault, envDoc, type EnvKey } from './env-schema.ts';

const WIDTH = 100;

const HEADER = `# skinsight service configuration, generated from src/service/env-schema.ts by
# \`npm run env:example\`: edit the schema, not this file. Every variable is optional unless marked;
# values are validated at start and the service refuses to run with a bad one, listing every
# problem at once. A blank value means unset (the default applies).`;

/** Words wrapped into "# " comment lines of at most WIDTH characters. */
function comment(text: string): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line.length + 1 + word.length > WIDTH && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

export function renderEnvExample(): string {
  const blocks = (Object.keys(EnvSchema.shape) as EnvKey[]).map((key) => {
    const { description, example } = envDoc(key);
    const lines = comment(description);
    if (example !== undefined) lines.push(`# Example: ${key}=${example}`);
    lines.push(`${key}=${envDefault(key) ?? ''}`);
    return lines.join('\n');
  });
  return `${HEADER}\n\n${blocks.join('\n\n')}\n`;
}
