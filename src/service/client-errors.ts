/**
 * Errors Fastify raises before a route is found, in the catalogue's `{error: {code, message}}`
 * shape like every other answer. Two kinds: a URL the router cannot decode or a constraint that
 * failed (Fastify's `frameworkErrors`: a request and a reply, answered by the error handler, but
 * no onSend hook runs, so the security headers and the request id are set here), and a request
 * Node's HTTP parser refused (`clientError`: bad framing, Content-Length with Transfer-Encoding,
 * headers over the limit, the request timeout), where only the socket exists: a minimal JSON
 * answer is written on it, with the security headers, in the manner of Fastify's
 * defaultClientErrorHandler (fastify.js), then the connection closes.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, type ErrorCode } from '../contract/errors.ts';
import { errorBody, handleError } from './http-errors.ts';
import { API_CACHE_CONTROL, SECURITY_HEADERS, setSecurityHeaders } from './security-headers.ts';

export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  setSecurityHeaders(request, reply);
  reply.header('x-request-id', request.id);
  return handleError(err, request, reply);
}

/** How long the refused connection stays open for the peer to read the answer (as http-limits.ts). */
const LINGER_MS = 1000;

/** What Node's parser refused, as a catalogue code and the HTTP status to answer. */
function classify(parserCode: string | undefined): { code: ErrorCode; status: number; message: string } {
  if (parserCode === 'ERR_HTTP_REQUEST_TIMEOUT') return { code: 'REQUEST_TIMEOUT', ...ERRORS.REQUEST_TIMEOUT };
  if (parserCode === 'HPE_HEADER_OVERFLOW') return { code: 'HEADERS_TOO_LARGE', ...ERRORS.HEADERS_TOO_LARGE };
  // BAD_REQUEST keeps the framework's status (400 here), as for any other framework 4xx.
  return { code: 'BAD_REQUEST', status: 400, message: `the request is malformed (${parserCode ?? 'parse error'})` };
}

export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Duplex) {
  // A reset connection has nobody left to answer (https://nodejs.org/api/http.html#event-clienterror).
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { code, status, message } = classify(err.code);
  this.log.debug({ code: err.code }, 'refused a malformed request');
  if (socket.writable) {
    const body = JSON.stringify(errorBody(code, message));
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        Object.entries({ ...SECURITY_HEADERS, 'cache-control': API_CACHE_CONTROL }).map(([k, v]) => `${k}: ${v}\r\n`).join('') +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
