import { request, type ClientRequest, type IncomingMessage } from 'node:http';

import { ImagesumError } from '../errors.js';
import type { EngineEndpoint } from './host.js';

/** The Engine API version that imagesum speaks. Docker Engine 20.10 serves API 1.41. */
export const API_VERSION = '1.41';

export interface EngineRequest {
  readonly method: 'GET' | 'POST' | 'DELETE' | 'HEAD';
  /** Path below the API version prefix, such as `/images/json`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Milliseconds without socket activity before the request fails. `undefined` waits indefinitely. */
  readonly timeoutMs?: number | undefined;
  /** Called once the whole request is written to the socket. */
  readonly onSent?: (() => void) | undefined;
  /** Destroys the request when aborted. */
  readonly signal?: AbortSignal | undefined;
}

export interface EngineResponse {
  readonly status: number;
  readonly body: string;
}

export function describeRequest(engineRequest: EngineRequest): string {
  return `${engineRequest.method} ${engineRequest.path}`;
}

/** Sends one request and resolves with the open response, so callers can stream its body. */
export function openResponse(endpoint: EngineEndpoint, engineRequest: EngineRequest): Promise<IncomingMessage> {
  const search = new URLSearchParams(engineRequest.query ?? {}).toString();
  const path = `/v${API_VERSION}${engineRequest.path}${search === '' ? '' : `?${search}`}`;
  const target =
    endpoint.kind === 'unix'
      ? { socketPath: endpoint.socketPath }
      : { host: endpoint.hostname, port: endpoint.port };

  return new Promise((resolve, reject) => {
    const outgoing = request({
      ...target,
      method: engineRequest.method,
      path,
      headers: { Host: 'docker' },
      signal: engineRequest.signal,
      // Node's shared agent times a socket out after 5 s, which would cut a slow connect short under the
      // message of the request's own timeout. A socket of its own has only the timeouts set below.
      agent: false,
    });
    limitConnectTime(outgoing, endpoint, engineRequest.timeoutMs ?? CONNECT_TIMEOUT_MS);

    if (engineRequest.timeoutMs !== undefined) {
      const timeoutMs = engineRequest.timeoutMs;
      outgoing.setTimeout(timeoutMs, () => {
        outgoing.destroy(
          new ImagesumError(
            'engine',
            `the Docker engine at ${endpoint.url} did not respond to ${describeRequest(engineRequest)} ` +
              `within ${timeoutMs / 1000} s; check that dockerd is healthy`,
          ),
        );
      });
    }
    if (engineRequest.onSent !== undefined) {
      outgoing.on('finish', engineRequest.onSent);
    }
    outgoing.on('response', resolve);
    outgoing.on('error', (error) => reject(mapConnectionError(endpoint, error)));
    outgoing.end();
  });
}

/**
 * How long a connection may take when the request sets no timeout of its own, as a pull does, whose
 * download may stall for longer but whose connect must not.
 */
const CONNECT_TIMEOUT_MS = 60_000;

/**
 * Fails the request when its socket has not connected within `timeoutMs`. The request's own timeout starts
 * only once the socket is connected, so an address that never accepts would otherwise wait for the kernel.
 */
function limitConnectTime(outgoing: ClientRequest, endpoint: EngineEndpoint, timeoutMs: number): void {
  outgoing.once('socket', (socket) => {
    if (!socket.connecting) {
      return;
    }
    const timer = setTimeout(() => {
      const message = `connecting to the Docker engine at ${endpoint.url} timed out after ${timeoutMs / 1000} s; check DOCKER_HOST and that dockerd is running`;
      outgoing.destroy(new ImagesumError('engine', message));
    }, timeoutMs);
    socket.once('connect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
  });
}

/** Sends one request and reads the whole response body as UTF-8. */
export async function sendRequest(endpoint: EngineEndpoint, engineRequest: EngineRequest): Promise<EngineResponse> {
  const response = await openResponse(endpoint, engineRequest);
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of response) {
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    throw mapConnectionError(endpoint, error);
  }
  return { status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') };
}

/**
 * Turns a socket error into a one-line ImagesumError that names the engine address. Errors that already are
 * ImagesumErrors pass through.
 */
export function mapConnectionError(endpoint: EngineEndpoint, error: unknown): Error {
  if (error instanceof ImagesumError) {
    return error;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = error instanceof Error ? error.message : String(error);

  if (code === 'EACCES' || code === 'EPERM') {
    return new ImagesumError(
      'engine',
      `permission denied on the Docker engine socket at ${endpoint.url}: ${reason}. ` +
        'Add your user to the docker group (then log in again) or run imagesum with sudo',
    );
  }
  return new ImagesumError(
    'engine',
    `cannot reach the Docker engine at ${endpoint.url}: ${reason}. Start dockerd or set DOCKER_HOST to its address`,
  );
}

/** Parses a JSON response body. Raises ImagesumError('engine') when the engine sent invalid JSON. */
export function parseJsonBody(endpoint: EngineEndpoint, engineRequest: EngineRequest, body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ImagesumError(
      'engine',
      `the Docker engine at ${endpoint.url} returned invalid JSON for ${describeRequest(engineRequest)}: ${reason}`,
    );
  }
}

/** Extracts the `message` field that the engine puts in error bodies, or the trimmed body when it has none. */
export function engineMessage(body: string): string {
  let message = body.trim();
  try {
    const parsed = JSON.parse(body) as { message?: unknown } | null;
    if (typeof parsed?.message === 'string') {
      message = parsed.message;
    }
  } catch {
    // A body that is not JSON is quoted as it is.
  }
  return message === '' ? '(no message)' : message;
}

/** Builds the error for an HTTP error status, quoting the engine's own message. */
export function httpError(endpoint: EngineEndpoint, engineRequest: EngineRequest, response: EngineResponse): ImagesumError {
  return new ImagesumError(
    'engine',
    `the Docker engine at ${endpoint.url} rejected ${describeRequest(engineRequest)} with HTTP ${response.status}: ` +
      engineMessage(response.body),
  );
}
