import { ImagesumError } from '../errors.js';
import { parseReference, type ImageReference } from '../reference/index.js';
import { DEFAULT_DOCKER_HOST, parseDockerHost, type EngineEndpoint } from './host.js';
import {
  describeRequest,
  engineMessage,
  httpError,
  mapConnectionError,
  openResponse,
  parseJsonBody,
  sendRequest,
  type EngineRequest,
} from './transport.js';
import type { EngineImage, EngineVersion, PullProgress } from './types.js';

export interface EngineClientOptions {
  /** `unix:///PATH` or `tcp://HOST:PORT`. Defaults to DOCKER_HOST, then to `unix:///var/run/docker.sock`. */
  readonly host?: string | undefined;
  /** Milliseconds of socket inactivity before a request other than a pull fails. Defaults to 60 000. */
  readonly timeoutMs?: number | undefined;
}

export interface PullOptions {
  /** Called with each progress message of the engine's stream. */
  readonly onProgress?: ((progress: PullProgress) => void) | undefined;
}

export interface ListOptions {
  /** Called once the request is on the socket, so a caller can do other work while the engine prepares the response. */
  readonly onSent?: (() => void) | undefined;
  /** A signal that aborts the request, after which the returned promise rejects. */
  readonly signal?: AbortSignal | undefined;
}

/** A Docker Engine API client for the few calls imagesum makes. */
export interface EngineClient {
  /** The engine address, as used in error messages. */
  readonly host: string;
  /** Lists the images that carry a label with this key, in one request. */
  listImages(labelKey: string): Promise<EngineImage[]>;
  /** Lists every tagged or dangling image (not intermediate build images), in one request. */
  listAllImages(options?: ListOptions): Promise<EngineImage[]>;
  /** Inspects an image by reference or ID. Resolves `undefined` when the engine has no such image. */
  inspectImage(reference: string): Promise<EngineImage | undefined>;
  /** Pulls an image and resolves when the engine has stored it. */
  pullImage(reference: string | ImageReference, options?: PullOptions): Promise<void>;
  /** Removes an image by ID or reference. Resolves `false` when the engine has no such image. */
  removeImage(image: string, force: boolean): Promise<boolean>;
  ping(): Promise<void>;
  version(): Promise<EngineVersion>;
}

/** Maximum pause on the socket for ordinary requests. Pulls have no limit because layers may download slowly. */
const DEFAULT_TIMEOUT_MS = 60_000;

/** Creates a client for the engine at `options.host`, DOCKER_HOST or the default socket. Sends no request. */
export function createEngineClient(options: EngineClientOptions = {}): EngineClient {
  const environmentHost = process.env['DOCKER_HOST'];
  const host = options.host ?? (environmentHost === undefined || environmentHost === '' ? DEFAULT_DOCKER_HOST : environmentHost);
  const endpoint = parseDockerHost(host);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  /** Sends a request and parses the JSON response. Resolves `undefined` for a 404 when `allowNotFound` is set. */
  async function requestJson(engineRequest: EngineRequest, allowNotFound = false): Promise<unknown> {
    const response = await sendRequest(endpoint, { timeoutMs, ...engineRequest });
    if (allowNotFound && response.status === 404) {
      return undefined;
    }
    if (response.status < 200 || response.status >= 300) {
      throw httpError(endpoint, engineRequest, response);
    }
    return parseJsonBody(endpoint, engineRequest, response.body);
  }

  async function listImagesWith(query: Record<string, string>, options: ListOptions = {}): Promise<EngineImage[]> {
    const engineRequest: EngineRequest = { method: 'GET', path: '/images/json', query, onSent: options.onSent, signal: options.signal };
    const summaries = await requestJson(engineRequest);
    if (!Array.isArray(summaries)) {
      throw unexpectedResponse(endpoint, engineRequest, 'expected an array of images');
    }
    return summaries.map((summary: unknown) => imageFromSummary(endpoint, engineRequest, summary));
  }

  return {
    host,

    listImages(labelKey: string): Promise<EngineImage[]> {
      return listImagesWith({ filters: JSON.stringify({ label: [labelKey] }) });
    },

    listAllImages(options: ListOptions = {}): Promise<EngineImage[]> {
      return listImagesWith({}, options);
    },

    async inspectImage(reference: string): Promise<EngineImage | undefined> {
      const engineRequest: EngineRequest = { method: 'GET', path: `/images/${encodeImageName(reference)}/json` };
      const inspected = await requestJson(engineRequest, true);
      if (inspected === undefined) {
        return undefined;
      }
      return imageFromInspect(endpoint, engineRequest, inspected);
    },

    pullImage(reference: string | ImageReference, pullOptions: PullOptions = {}): Promise<void> {
      const parsed = typeof reference === 'string' ? parseReference(reference) : reference;
      return pull(endpoint, parsed, pullOptions);
    },

    async removeImage(image: string, force: boolean): Promise<boolean> {
      const engineRequest: EngineRequest = {
        method: 'DELETE',
        path: `/images/${encodeImageName(image)}`,
        query: { force: force ? 'true' : 'false' },
      };
      const removed = await requestJson(engineRequest, true);
      return removed !== undefined;
    },

    async ping(): Promise<void> {
      const engineRequest: EngineRequest = { method: 'GET', path: '/_ping', timeoutMs };
      const response = await sendRequest(endpoint, engineRequest);
      if (response.status !== 200) {
        throw httpError(endpoint, engineRequest, response);
      }
    },

    async version(): Promise<EngineVersion> {
      const engineRequest: EngineRequest = { method: 'GET', path: '/version' };
      const fields = (await requestJson(engineRequest)) as Record<string, unknown> | null;
      const version = fields?.['Version'];
      const apiVersion = fields?.['ApiVersion'];
      if (typeof version !== 'string' || typeof apiVersion !== 'string') {
        throw unexpectedResponse(endpoint, engineRequest, 'Version or ApiVersion is missing');
      }
      return {
        version,
        apiVersion,
        minApiVersion: optionalString(fields?.['MinAPIVersion']),
        os: optionalString(fields?.['Os']) ?? '',
        arch: optionalString(fields?.['Arch']) ?? '',
      };
    },
  };
}

/**
 * Encodes an image name or ID for a URL path. Slashes stay unencoded as the Docker CLI sends them, because the
 * engine reads the name across path segments (`ghcr.io/org/app`).
 */
function encodeImageName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

/**
 * Pulls through `POST /images/create`. The engine either rejects the request with an HTTP error status, or
 * responds with 200 and streams one JSON message per line, where a failure is a message with an `error` field.
 */
async function pull(endpoint: EngineEndpoint, reference: ImageReference, options: PullOptions): Promise<void> {
  const tag = reference.digest ?? reference.tag ?? 'latest';
  const engineRequest: EngineRequest = {
    method: 'POST',
    path: '/images/create',
    query: { fromImage: `${reference.domain}/${reference.path}`, tag },
  };
  const pulledName = `${reference.domain}/${reference.path}${tag.includes(':') ? '@' : ':'}${tag}`;

  // NOTE: no X-Registry-Auth header is sent, so only registries that allow anonymous pulls work.
  const response = await openResponse(endpoint, engineRequest);
  if (response.statusCode !== 200) {
    const chunks: Buffer[] = [];
    for await (const chunk of response) {
      chunks.push(chunk as Buffer);
    }
    const message = engineMessage(Buffer.concat(chunks).toString('utf8'));
    throw pullError(pulledName, `${message} (HTTP ${response.statusCode ?? 0} from ${endpoint.url})`);
  }

  let pending = '';
  const handleLine = (line: string): void => {
    if (line.trim() === '') {
      return;
    }
    const message = parseJsonBody(endpoint, engineRequest, line) as Record<string, unknown> | null;
    const error = message?.['error'];
    if (typeof error === 'string') {
      throw pullError(pulledName, error);
    }
    options.onProgress?.({
      status: optionalString(message?.['status']),
      id: optionalString(message?.['id']),
      progress: optionalString(message?.['progress']),
    });
  };

  try {
    for await (const chunk of response) {
      pending += (chunk as Buffer).toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(handleLine);
    }
  } catch (error) {
    response.destroy();
    throw mapConnectionError(endpoint, error);
  }
  handleLine(pending);
}

function pullError(pulledName: string, reason: string): ImagesumError {
  return new ImagesumError(
    'engine',
    `pulling ${pulledName} failed: ${reason}. Check the reference and that the Docker engine can reach its registry`,
  );
}

function imageFromSummary(endpoint: EngineEndpoint, engineRequest: EngineRequest, summary: unknown): EngineImage {
  const fields = summary as Record<string, unknown> | null;
  const id = fields?.['Id'];
  if (typeof id !== 'string') {
    throw unexpectedResponse(endpoint, engineRequest, 'an image has no Id');
  }
  return {
    id,
    repoTags: stringList(fields?.['RepoTags']).filter((tag) => tag !== '<none>:<none>'),
    repoDigests: stringList(fields?.['RepoDigests']).filter((digest) => digest !== '<none>@<none>'),
    labels: stringRecord(fields?.['Labels']),
  };
}

function imageFromInspect(endpoint: EngineEndpoint, engineRequest: EngineRequest, inspected: unknown): EngineImage {
  const fields = inspected as Record<string, unknown> | null;
  const config = fields?.['Config'] as Record<string, unknown> | null | undefined;
  return imageFromSummary(endpoint, engineRequest, { ...fields, Labels: config?.['Labels'] });
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function stringRecord(value: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (value === null || typeof value !== 'object') {
    return record;
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string') {
      record[key] = item;
    }
  }
  return record;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function unexpectedResponse(endpoint: EngineEndpoint, engineRequest: EngineRequest, reason: string): ImagesumError {
  return new ImagesumError(
    'engine',
    `the Docker engine at ${endpoint.url} returned an unexpected response to ${describeRequest(engineRequest)}: ${reason}`,
  );
}
