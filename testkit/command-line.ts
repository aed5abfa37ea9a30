/**
 * The options of a bench or project script (bench/*.ts, scripts/*.ts), read with node:util's
 * parseArgs, which throws with a Node stack trace on an unknown or malformed option. Here a bad
 * option prints one line (the script, what was wrong, the options it takes) and exits 2, and
 * `--help` / `-h` prints the script's header comment, which is where each one documents its usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export function commandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const script = path.basename(process.argv[1] ?? 'script');
  const args = config.args ?? process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usageOf(process.argv[1]) ?? `${script}: options ${optionList(config)}`);
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS')) throw error;
    console.error(`${script}: ${(error as Error).message.split('\n')[0]} (options: ${optionList(config)}; --help for the usage)`);
    process.exit(2);
  }
}

function optionList(config: ParseArgsConfig): string {
  return Object.entries(config.options ?? {})
    .map(([name, o]) => (o.type === 'string' ? `--${name} VALUE` : `--${name}`))
    .join(', ');
}

/** The file's first block comment, without its stars. */
function usageOf(file: string | undefined): string | null {
  if (!file) return null;
  try {
    const match = /\/\*\*?([\s\S]*?)\*\//.exec(fs.readFileSync(file, 'utf8'));
    return match ? match[1].split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join('\n').trim() : null;
  } catch {
    return null;
  }
}
