/**
 * Model versions per request: the A/B traffic split and shadow candidates.
 *
 *   SKINSIGHT_AB_SPLIT="acne_binary=2.0.0:90,2.1.0:10;skin_condition=1.0.0:50,1.1.0:50"
 *   SKINSIGHT_SHADOW="acne_binary=2.1.0"
 *
 * A user lands in the same bucket every time (sha256 of task and user id), so one person never
 * flips between versions from one scan to the next, and the buckets are independent per task.
 */
import { createHash } from 'node:crypto';
import { MODEL_TASKS, type ModelTask } from '../engine/api.ts';

export type AbSplit = Partial<Record<ModelTask, { version: string; weight: number }[]>>;
export type ModelVersions = Partial<Record<ModelTask, string>>;

const VERSION_RE = /^\d+\.\d+\.\d+(?:[-+][\w.]+)?$/;

function task(name: string): ModelTask {
  if (!(MODEL_TASKS as readonly string[]).includes(name)) throw new Error(`unknown model task "${name}" (known: ${MODEL_TASKS.join(', ')})`);
  return name as ModelTask;
}

function version(v: string): string {
  if (!VERSION_RE.test(v)) throw new Error(`"${v}" is not a model version like 2.1.0`);
  return v;
}

/** Parse SKINSIGHT_AB_SPLIT; throws with a message naming the bad part. */
export function parseAbSplit(text: string): AbSplit {
  const split: AbSplit = {};
  for (const part of text.split(';').map((p) => p.trim()).filter(Boolean)) {
    const [name, arms] = part.split('=');
    if (!name || !arms) throw new Error(`SKINSIGHT_AB_SPLIT: "${part}" is not task=version:weight,…`);
    const t = task(name.trim());
    const list = arms.split(',').map((arm) => {
      const [v, w] = arm.split(':').map((x) => x.trim());
      const weight = Number(w);
      if (!(weight >= 0) || !Number.isFinite(weight)) throw new Error(`SKINSIGHT_AB_SPLIT: weight of "${arm}" must be a number ≥ 0`);
      return { version: version(v ?? ''), weight };
    });
    if (list.reduce((a, b) => a + b.weight, 0) <= 0) throw new Error(`SKINSIGHT_AB_SPLIT: the weights of ${t} add up to 0`);
    split[t] = list;
  }
  return split;
}

/** Parse SKINSIGHT_SHADOW: task=version pairs separated by ';' or ','. */
export function parseShadow(text: string): ModelVersions {
  const shadow: ModelVersions = {};
  for (const part of text.split(/[;,]/).map((p) => p.trim()).filter(Boolean)) {
    const [name, v] = part.split('=').map((x) => x.trim());
    if (!name || !v) throw new Error(`SKINSIGHT_SHADOW: "${part}" is not task=version`);
    shadow[task(name)] = version(v);
  }
  return shadow;
}

/** A stable number in [0, 1) for (task, user). */
function bucket(taskName: string, userId: string): number {
  const h = createHash('sha256').update(`${taskName}\0${userId}`).digest();
  return h.readUInt32BE(0) / 0x1_0000_0000;
}

/** The versions a user's requests run with; empty when there is no split (engine defaults). */
export function assignVersions(split: AbSplit, userId: string): ModelVersions {
  const out: ModelVersions = {};
  for (const [t, arms] of Object.entries(split) as [ModelTask, { version: string; weight: number }[]][]) {
    const total = arms.reduce((a, b) => a + b.weight, 0);
    let x = bucket(t, userId) * total;
    for (const arm of arms) {
      if (x < arm.weight) {
        out[t] = arm.version;
        break;
      }
      x -= arm.weight;
    }
    out[t] ??= arms.at(-1)!.version;
  }
  return out;
}

/** Shadow candidates minus any a user already runs live (comparing a version with itself says nothing). */
export function shadowFor(shadow: ModelVersions, live: ModelVersions): ModelVersions {
  const out: ModelVersions = {};
  for (const [t, v] of Object.entries(shadow) as [ModelTask, string][]) if (live[t] !== v) out[t] = v;
  return out;
}
