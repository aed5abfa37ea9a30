/**
 * The model registry: reads `manifest.json`, picks one entry per task, checks each ONNX
 * file's sha256, creates one session per model and warms it up. Any problem with one model
 * (missing file, wrong hash, unreadable ONNX, wrong output size) makes that model
 * unavailable with a reason; the rest of the engine keeps working.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ModelStatus, RegistryEntryStatus } from '../api.ts';
import { Classifier } from './classifier.ts';
import type { SharedSession } from './shared-session.ts';
import { Manifest, MANIFEST_FILE, MODEL_TASKS, TASK_CLASSES, modelId, type ModelEntry, type ModelTask } from './manifest.ts';

export interface LoadedModel {
  entry: ModelEntry;
  classifier: Classifier;
  /** Absolute path of the ONNX file. */
  file: string;
}

export interface RegistryOptions {
  modelsDir: string;
  intraOpThreads: number;
  /** The version that serves unpinned analyses, per task, instead of the manifest's default. */
  pinned?: Partial<Record<ModelTask, string>>;
  /** Load every listed version (so analyses can pin any), not only the serving one per task. */
  loadAll?: boolean;
  /** Micro-batching window in ms (0: off); see batcher.ts. */
  batchWindowMs?: number;
  /** Told the size of every micro-batch run. */
  onBatch?: (size: number) => void;
}

export class ModelRegistry {
  private constructor(
    readonly dir: string,
    /** Loaded models by `name@version`. */
    private readonly loaded: Map<string, LoadedModel>,
    /** Chosen model per task, or why there is none. */
    private readonly chosen: Map<ModelTask, { id?: string; reason?: string; entry?: ModelEntry }>,
    /** Every manifest entry, and why each one that did not load failed. */
    private readonly manifest: ModelEntry[] = [],
    private readonly failures: Map<string, string> = new Map(),
  ) {}

  static async load(options: RegistryOptions): Promise<ModelRegistry> {
    const dir = path.resolve(options.modelsDir);
    const loaded = new Map<string, LoadedModel>();
    const chosen = new Map<ModelTask, { id?: string; reason?: string; entry?: ModelEntry }>();

    let manifest: Manifest = { models: [] };
    let manifestProblem: string | undefined;
    try {
      manifest = Manifest.parse(JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')));
    } catch (error) {
      // Reasons reach API clients: name no server path.
      const code = (error as NodeJS.ErrnoException).code;
      manifestProblem = code === 'ENOENT' ? 'no model manifest (manifest.json) in the models folder' : 'the model manifest (manifest.json) is invalid';
    }

    // Per task, the pinned or default entry serves unpinned analyses. With `loadAll` every listed
    // version is loaded too (each checked on its own), so that analyses can pin one for A/B tests.
    const serving = new Map<ModelTask, ModelEntry | undefined>();
    for (const task of MODEL_TASKS) {
      const candidates = manifest.models.filter((m) => m.task === task);
      const wanted = options.pinned?.[task];
      serving.set(task, wanted ? candidates.find((m) => m.version === wanted) : candidates.find((m) => m.default) ?? candidates.at(-1));
    }
    const failures = new Map<string, string>();
    const sessions = new Map<string, SharedSession>(); // by sha256: entries naming one file share its session
    for (const entry of manifest.models) {
      if (!options.loadAll && serving.get(entry.task) !== entry) {
        failures.set(modelId(entry), `${modelId(entry)} not loaded: this engine loads only the version it serves per task (engine option loadVersions: 'all' loads every version)`);
        continue;
      }
      try {
        const model = await loadEntry(dir, entry, options.intraOpThreads, sessions);
        if (options.batchWindowMs) model.classifier.enableBatching(options.batchWindowMs, options.onBatch);
        loaded.set(modelId(entry), model);
      } catch (error) {
        failures.set(modelId(entry), `${modelId(entry)} unavailable: ${(error as Error).message}`);
      }
    }
    for (const task of MODEL_TASKS) {
      const wanted = options.pinned?.[task];
      const entry = serving.get(task);
      if (!entry) {
        chosen.set(task, { reason: manifestProblem ?? (wanted ? `no ${task} model with version ${wanted} in the registry` : `no ${task} model in the registry`) });
      } else if (loaded.has(modelId(entry))) {
        chosen.set(task, { id: modelId(entry), entry });
      } else {
        chosen.set(task, { reason: failures.get(modelId(entry)), entry });
      }
    }
    return new ModelRegistry(dir, loaded, chosen, manifest.models, failures);
  }

  /** The model serving `task` (a pinned `version`, or the default), or the reason why none can. */
  forTask(task: ModelTask, version?: string): LoadedModel | { reason: string } {
    if (version) {
      const pinned = [...this.loaded.values()].find((m) => m.entry.task === task && m.entry.version === version);
      return pinned ?? { reason: `no loadable ${task} model with version ${version} in the registry` };
    }
    const c = this.chosen.get(task);
    if (c?.id) {
      const m = this.loaded.get(c.id);
      if (m) return m;
    }
    return { reason: c?.reason ?? `no ${task} model` };
  }

  status(): ModelStatus[] {
    return MODEL_TASKS.map((task) => {
      const c = this.chosen.get(task);
      return {
        task,
        name: c?.entry?.name ?? task,
        version: c?.entry?.version ?? 'none',
        available: Boolean(c?.id),
        ...(c?.reason ? { reason: c.reason } : {}),
      };
    });
  }

  /** Every registry entry with its state; `default` marks the one serving unpinned requests. */
  entries(): RegistryEntryStatus[] {
    return this.manifest.map((entry) => {
      const id = modelId(entry);
      const { metrics_file: _file, ...metrics } = entry.metrics;
      return {
        task: entry.task,
        name: entry.name,
        version: entry.version,
        default: this.chosen.get(entry.task)?.entry === entry,
        state: this.loaded.has(id) ? ('ready' as const) : ('unavailable' as const),
        ...(this.failures.has(id) ? { reason: this.failures.get(id) } : {}),
        precision: entry.precision,
        model_card: entry.model_card ?? null,
        metrics,
      };
    });
  }

  loadedModels(): LoadedModel[] {
    return [...this.loaded.values()];
  }

  async close(): Promise<void> {
    await Promise.all([...this.loaded.values()].map((m) => m.classifier.close()));
  }
}

async function loadEntry(dir: string, entry: ModelEntry, intraOpThreads: number, sessions: Map<string, SharedSession>): Promise<LoadedModel> {
  const expected = TASK_CLASSES[entry.task];
  if (entry.classes.length !== expected.length || entry.classes.some((c, i) => c !== expected[i])) {
    throw new Error(`classes ${JSON.stringify(entry.classes)} do not match ${entry.task}'s ${JSON.stringify(expected)}`);
  }
  const file = path.resolve(dir, entry.file);
  if (!fs.existsSync(file)) throw new Error(`file ${entry.file} is missing`);
  const bytes = fs.readFileSync(file);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== entry.sha256) throw new Error(`sha256 mismatch for ${entry.file} (manifest ${entry.sha256.slice(0, 12)}…, file ${sha.slice(0, 12)}…)`);
  let classifier: Classifier;
  try {
    classifier = await Classifier.create(bytes, entry, intraOpThreads, sessions.get(sha));
    sessions.set(sha, classifier.sharedSession);
  } catch (error) {
    throw new Error(`cannot load ${entry.file}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  return { entry, classifier, file };
}
