/**
 * Response headers every answer carries (issue #9, item 16): `nosniff`, so no browser runs an
 * upload or an error body as something else; `no-store` on the API, so tokens, results and
 * account data never sit in a browser or proxy cache after logout or deletion (routes that
 * chose their own, like the stored photo's `private, no-store`, keep it).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export function securityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => setSecurityHeaders(request, reply));
}

/** On every answer; API answers also get API_CACHE_CONTROL unless their route chose one. */
export const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' } as const;
export const API_CACHE_CONTROL = 'no-store';

/** The headers themselves, also for answers no hook sees (client-errors.ts). */
export function setSecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.headers(SECURITY_HEADERS);
  if (isApiPath(request) && !reply.hasHeader('cache-control')) reply.header('cache-control', API_CACHE_CONTROL);
}

/** Judged on the matched route, or on the decoded path (the router decodes `/%61pi/…` too). */
function isApiPath(request: FastifyRequest): boolean {
  if (request.routeOptions.url?.startsWith('/api/')) return true;
  try {
    return decodeURIComponent(request.url).startsWith('/api/');
  } catch {
    return request.url.startsWith('/api/');
  }
}

/**
 * /docs (Swagger UI, all files served by this process): only this origin, the UI's own inline
 * scripts by hash (@fastify/swagger-ui computes them), no frames, no plug-ins. Styles allow
 * 'unsafe-inline': the UI sets style attributes at run time (Chromium blocks them otherwise,
 * test/web.test.ts), and with a hash in the list a browser would ignore 'unsafe-inline'.
 */
export const DOCS_CSP = true as const;
export function docsCsp(header: string): string {
  // The plugin's default upgrades requests to https (breaks a plain-http loopback service) and
  // allows fonts and styles from any https origin and the public validator; none is needed.
  return header
    .replace(/\s*upgrade-insecure-requests;?/, '')
    .replace(' validator.swagger.io', '')
    .replace(/ https:/g, '')
    .replace(/style-src [^;]*/, "style-src 'self' 'unsafe-inline'")
    .replace("frame-ancestors 'self'", "frame-ancestors 'none'");
}
