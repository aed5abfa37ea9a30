/**
 * The result cache: the same image bytes, analysed for the same user with the same model
 * versions and options, give the stored result instead of a new analysis. Keyed by sha256 of
 * the bytes plus a digest of the user, the versions and the options, so a model reload or an
 * A/B arm change is a different key, and no user's timing reveals another's photos.
 *
 * In memory (an LRU with a TTL) by default; in Redis in distributed mode, shared by all
 * workers. A cache failure is a miss, never a failed scan. Entries are deleted together with the
 * scan or account that made them (the scan row records the key: `scans.cache_key`).
 *
 * Values are `${shadowJson}\n${resultJson}`: the result text goes to the database as is,
 * without being parsed again (JSON.stringify never writes a raw newline).
 *
 * An entry holds the full result, face mesh included (a hit gives the new scan its geometry for
 * the owner's first look). With SKINSIGHT_STORE_LANDMARKS=false the mesh is kept an hour
 * (geometry.ts), so such an entry is kept at most that long too (the processor sets its TTL),
 * whatever SKINSIGHT_CACHE_TTL_S says: the cache never keeps what the database would not.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { ModelVersions } from './ab.ts';
import { metrics } from './metrics.ts';

export interface ResultCache {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | null>;
  /** `ttlS`: keep this entry at most so long (never past the configured TTL). */
  set(key: string, value: string, ttlS?: number): Promise<void>;
  delete(keys: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface CacheKeyParts {
  /** Whose analysis it is: a user id (scans), so one user's entry is never another's hit. */
  owner: string;
  /** The versions the analysis runs with (pinned by A/B or the engine's current defaults). */
  versions: ModelVersions;
  shadow: ModelVersions;
  closeup: boolean;
}

export function cacheKey(bytes: Uint8Array, parts: CacheKeyParts): string {
  const content = createHash('sha256').update(bytes).digest('hex');
  const sorted = (v: ModelVersions) => Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)));
  const opts = JSON.stringify({ o: parts.owner, v: sorted(parts.versions), s: sorted(parts.shadow), c: parts.closeup });
  return `${content}:${createHash('sha256').update(opts).digest('hex').slice(0, 16)}`;
}

export function packEntry(resultJson: string, shadowJson: string | null): string {
  return `${shadowJson ?? ''}\n${resultJson}`;
}

export function unpackEntry(value: string): { resultJson: string; shadowJson: string | null } {
  const nl = value.indexOf('\n');
  return { shadowJson: nl > 0 ? value.slice(0, nl) : null, resultJson: value.slice(nl + 1) };
}

export class MemoryResultCache implements ResultCache {
  readonly kind = 'memory' as const;
  private readonly lru: LRUCache<string, string>;
  private readonly ttlS: number;

  constructor(options: { entries: number; ttlS: number }) {
    this.ttlS = options.ttlS;
    this.lru = new LRUCache({ max: options.entries, ttl: options.ttlS * 1000 });
  }
  async get(key: string) {
    return this.lru.get(key) ?? null;
  }
  async set(key: string, value: string, ttlS?: number) {
    this.lru.set(key, value, ttlS === undefined ? undefined : { ttl: Math.min(ttlS, this.ttlS) * 1000 });
  }
  async delete(keys: string[]) {
    for (const k of keys) this.lru.delete(k);
  }
  async close() {
    this.lru.clear();
  }
}

export class RedisResultCache implements ResultCache {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly ttlS: number,
  ) {
    // Fail fast while Redis is away (a miss), rather than queueing commands until it returns.
    this.redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
    this.redis.on('error', () => {}); // reconnects by itself; each failed call is counted as a miss
  }
  private k(key: string) {
    return `${this.prefix}:cache:${key}`;
  }
  async get(key: string) {
    return this.redis.get(this.k(key));
  }
  async set(key: string, value: string, ttlS?: number) {
    await this.redis.set(this.k(key), value, 'EX', Math.max(1, Math.ceil(Math.min(ttlS ?? this.ttlS, this.ttlS))));
  }
  async delete(keys: string[]) {
    if (keys.length > 0) await this.redis.del(...keys.map((k) => this.k(k)));
  }
  async close() {
    this.redis.disconnect();
  }
}

/** The cache with metrics and the "a failure is a miss" rule around it. */
export class CountingCache implements ResultCache {
  constructor(
    private readonly inner: ResultCache,
    private readonly onError: (err: unknown) => void,
  ) {}
  get kind() {
    return this.inner.kind;
  }
  async get(key: string) {
    let value: string | null = null;
    try {
      value = await this.inner.get(key);
    } catch (err) {
      this.onError(err);
    }
    metrics.cacheRequests.inc({ result: value === null ? 'miss' : 'hit' });
    return value;
  }
  async set(key: string, value: string, ttlS?: number) {
    try {
      await this.inner.set(key, value, ttlS);
    } catch (err) {
      this.onError(err);
    }
  }
  delete(keys: string[]) {
    // Deletion is a privacy promise: its failure is reported to the caller.
    return this.inner.delete(keys);
  }
  close() {
    return this.inner.close();
  }
}

export function createCache(
  config: { kind: 'memory' | 'redis' | 'off'; entries: number; ttlS: number },
  redis: { url: string; prefix: string } | null,
  onError: (err: unknown) => void,
): ResultCache | null {
  if (config.kind === 'off') return null;
  const inner = config.kind === 'redis' ? new RedisResultCache(redis!.url, redis!.prefix, config.ttlS) : new MemoryResultCache(config);
  return new CountingCache(inner, onError);
}
