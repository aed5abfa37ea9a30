/**
 * What the public model listings (/health/ready, /api/v1/models) say about an unavailable model:
 * a stable reason code for anyone, the engine's full reason only to admins. The full text can
 * name server paths (a load error's message); the engine logs it at start and on reload.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ModelReasonCode, ModelStatus } from '../contract/admin.ts';
import type { RegistryEntryStatus } from '../engine/api.ts';

/** True when the request carries a valid admin token; never throws (the listings stay public). */
export async function callerIsAdmin(app: FastifyInstance, request: FastifyRequest): Promise<boolean> {
  if (!request.headers.authorization) return false;
  try {
    await app.requireAdmin(request);
    return true;
  } catch {
    return false;
  }
}

/** A registry entry as the listings show it: unavailable entries are in the manifest, so they failed to load. */
export function publicEntry<E extends Pick<RegistryEntryStatus, 'state' | 'reason'>>(entry: E, admin: boolean): Omit<E, 'reason'> & { reason_code?: ModelReasonCode; reason?: string } {
  const { reason, ...rest } = entry;
  if (entry.state === 'ready') return rest;
  return { ...rest, reason_code: 'LOAD_FAILED', ...(admin && reason ? { reason } : {}) };
}

/** A task's serving model as the listings show it; the code from whether the registry lists that version. */
export function publicStatus(status: ModelStatus, registry: readonly Pick<RegistryEntryStatus, 'task' | 'name' | 'version'>[], admin: boolean): ModelStatus {
  const { reason, reason_code: _code, ...rest } = status;
  if (status.available) return rest;
  const listed = registry.some((e) => e.task === status.task && e.name === status.name && e.version === status.version);
  return { ...rest, reason_code: listed ? 'LOAD_FAILED' : 'NOT_IN_REGISTRY', ...(admin && reason ? { reason } : {}) };
}
