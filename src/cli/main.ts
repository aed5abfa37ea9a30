/**
 * The skinsight command line.
 *   skinsight analyze <files or folders…> [--files-from FILE|-] [--pretty] [--overlay DIR] [--closeup] [--workers N]
 *   skinsight crop --out DIR [--size 224] [--closeup-fallback] <files or folders…>
 *   skinsight schema            (the result's JSON Schema)
 *   skinsight info              (device and models)
 *   skinsight models list | import-seed A.pt B.pt   (the model registry)
 *   skinsight serve             (the HTTP service; same as npm start)
 *   skinsight worker            (distributed mode: an analysis worker on the BullMQ queue)
 *   skinsight users grant-admin EMAIL | revoke-admin EMAIL   (the admin role, on the configured database)
 * Exit codes: 0 all good, 1 some input failed, 2 usage or start-up error.
 */
// First: process settings that must exist before ONNX Runtime loads.
import '../boot/ort-telemetry.ts';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { FolderError } from '../boot/folders.ts';
import { resultJsonSchema, toErrorInfo } from '../engine/api.ts';
import { runAnalyze } from './analyze.ts';
import { runCrop } from './crop.ts';
import { checkModelsDir } from './models-dir.ts';
import { printable } from './printable.ts';

/** Each command's usage lines and what it does: `skinsight COMMAND --help` prints its entry. */
const COMMANDS: Record<string, { usage: string[]; does: string }> = {
  analyze: {
    usage: ['skinsight analyze <files or folders…> [--files-from FILE|-] [--pretty] [--overlay DIR] [--closeup] [--workers N] [--models DIR] [--threshold 0.7] [--quiet]'],
    does: 'Analyse photos: one JSON result per line on stdout; exit 1 if any input failed.',
  },
  crop: {
    usage: ['skinsight crop --out DIR [--size 224] [--closeup-fallback] [--closeup] [--patches [--patch-size 96]] [--quiet] <files or folders…>'],
    does: 'Write the crops the models see (the training inputs) and DIR/crops.jsonl.',
  },
  schema: { usage: ['skinsight schema'], does: "Print the result's JSON Schema." },
  info: { usage: ['skinsight info [--models DIR]'], does: 'Load the engine and print its device and models.' },
  models: {
    usage: ['skinsight models list [--models DIR]', 'skinsight models import-seed acne_binary_v1.pt other_condition_v1.pt [--out DIR] [--version 1.0.0]'],
    does: 'List the model registry, or import seed weights into it.',
  },
  serve: { usage: ['skinsight serve'], does: 'Start the HTTP service (configured by SKINSIGHT_* environment variables; see .env.example).' },
  worker: { usage: ['skinsight worker'], does: 'Distributed mode: an analysis worker on the BullMQ queue (needs SKINSIGHT_QUEUE=bullmq and Redis).' },
  users: { usage: ['skinsight users grant-admin EMAIL | revoke-admin EMAIL'], does: 'Grant or revoke the admin role on the configured database.' },
};
const NOTICE = 'Results are cosmetic estimates, not a medical diagnosis.';
const USAGE = ['Usage:', ...Object.values(COMMANDS).flatMap((c) => c.usage.map((u) => `  ${u}`)), NOTICE].join('\n');

function commandUsage(command: string): string {
  const c = COMMANDS[command]!;
  return ['Usage:', ...c.usage.map((u) => `  ${u}`), '', c.does, NOTICE].join('\n');
}

/** `--help`/`-h` anywhere before a `--`: the command's usage, and nothing else happens. */
function wantsHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && Object.hasOwn(COMMANDS, command) && wantsHelp(rest)) {
    process.stdout.write(commandUsage(command) + '\n');
    return 0;
  }
  switch (command) {
    case 'analyze': {
      const { values, positionals } = parse(rest, {
        pretty: { type: 'boolean', default: false },
        overlay: { type: 'string' },
        closeup: { type: 'boolean', default: false },
        workers: { type: 'string' },
        models: { type: 'string' },
        threshold: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        'files-from': { type: 'string' },
      });
      const listed = values['files-from'] === undefined ? [] : await readFileList(values['files-from'] as string);
      const inputs = [...positionals, ...listed];
      if (inputs.length === 0) throw new UsageError('analyze needs at least one file or folder.');
      return runAnalyze(inputs, {
        pretty: values.pretty as boolean,
        overlayDir: values.overlay as string | undefined,
        closeup: values.closeup as boolean,
        workers: intOption(values.workers, 'workers', 1, 64) ?? Math.min(os.availableParallelism(), 4),
        modelsDir: values.models as string | undefined,
        detectionThreshold: floatOption(values.threshold, 'threshold'),
        progress: !(values.quiet as boolean),
      });
    }
    case 'crop': {
      const { values, positionals } = parse(rest, {
        out: { type: 'string' },
        size: { type: 'string' },
        'closeup-fallback': { type: 'boolean', default: false },
        closeup: { type: 'boolean', default: false },
        patches: { type: 'boolean', default: false },
        'patch-size': { type: 'string' },
        quiet: { type: 'boolean', default: false },
      });
      if (!values.out) throw new UsageError('crop needs --out DIR.');
      if (positionals.length === 0) throw new UsageError('crop needs at least one file or folder.');
      return runCrop(positionals, {
        outDir: values.out as string,
        size: intOption(values.size, 'size', 16, 1024) ?? 224,
        closeupFallback: values['closeup-fallback'] as boolean,
        closeup: values.closeup as boolean,
        patches: values.patches as boolean,
        patchSize: intOption(values['patch-size'], 'patch-size', 16, 1024) ?? 96,
        progress: !(values.quiet as boolean),
      });
    }
    case 'models': {
      const { runModels } = await import('./models.ts');
      return runModels(rest);
    }
    case 'users': {
      const { runUsers } = await import('./users.ts');
      return runUsers(rest);
    }
    case 'schema':
      process.stdout.write(JSON.stringify(resultJsonSchema(), null, 2) + '\n');
      return 0;
    case 'info': {
      const { values } = parse(rest, { models: { type: 'string' } });
      checkModelsDir(values.models as string | undefined);
      const { createEngine } = await import('../engine/index.ts');
      const engine = await createEngine({ modelsDir: values.models as string | undefined, loadVersions: 'all' });
      process.stdout.write(JSON.stringify(engine.info(), null, 2) + '\n');
      await engine.close();
      return 0;
    }
    case 'serve': {
      const service = await import('../service/index.ts').catch(() => null);
      if (!service || typeof (service as { startServer?: unknown }).startServer !== 'function') {
        throw new UsageError('the HTTP service is not part of this build.');
      }
      const server = await (service as typeof import('../service/index.ts')).startServer();
      const { announceReady } = await import('../service/ready.ts');
      announceReady({ role: 'api', url: server.url, ...server.app.skinsight.sizing });
      return -1; // keep running
    }
    case 'worker': {
      // Distributed mode: an engine pool consuming the BullMQ queue (see src/service/worker.ts).
      const { runWorkerCommand } = await import('../service/worker.ts');
      await runWorkerCommand();
      return -1; // keep running
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}".`);
  }
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>;

function parse(args: string[], options: OptionSpec) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** `--files-from`: one path per line (`-` reads standard input), for lists of any length. */
async function readFileList(from: string): Promise<string[]> {
  let text: string;
  try {
    text = from === '-' ? await readStdin() : await fs.promises.readFile(from, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the file list ${from}: ${(error as Error).message}`);
  }
  return text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.length > 0);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function intOption(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}.`);
  return n;
}

function floatOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new UsageError(`--${name} must be a number between 0 and 1.`);
  return n;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error) => {
    // Messages quote arguments and paths: control characters escaped (printable.ts).
    if (error instanceof UsageError) {
      process.stderr.write(`skinsight: ${printable(error.message)}\n${USAGE}\n`);
    } else if (error instanceof FolderError) {
      // An output or model folder that cannot be used: the operator's mistake, one line, not INTERNAL.
      process.stderr.write(`skinsight: ${printable(error.message)}\n`);
    } else if ((error as Error)?.name === 'ConfigError') {
      // A bad setting (e.g. SKINSIGHT_DEVICE for `analyze`): the list of problems, not INTERNAL.
      process.stderr.write(`skinsight: ${(error as Error).message.split('\n').map(printable).join('\n')}\n`);
    } else {
      const info = toErrorInfo(error);
      process.stderr.write(`skinsight: ${printable(`${info.code}: ${info.message}`)}\n`);
    }
    process.exitCode = 2;
  },
);
