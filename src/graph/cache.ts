import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';

import type { ImageSpec, Project } from '../config/types.js';
import { canonicalJson, sha256Hex } from '../digest.js';
import { isProxyArg } from '../dockerfile/index.js';
import {
  currentTimeNs,
  encodeStateFile,
  isSafelyOlder,
  readStateFile,
  statKeyOf,
  statKeyText,
  writeFileAtomically,
  type StatKey,
  type StateFileFormat,
} from '../state-files.js';
import { buildGraph, hostPlatform, type BuildGraphOptions } from './index.js';
import type { ImageGraph, ImageNode } from './types.js';

export const GRAPH_CACHE_VERSION = 1;
const FORMAT: StateFileFormat = { kind: 'graph cache', magic: 'imagesum-graph-cache', version: GRAPH_CACHE_VERSION };

export interface GraphCacheOptions {
  /** The cache file, in the project's state folder. */
  readonly file: string;
  /** Digest of the running code (`codeDigest`), because a graph built by other code must never be reused. */
  readonly codeDigest: string;
  /** Returns the time in ns, taken before any Dockerfile is read, that the racy window counts back from. Default: the clock; tests pass a later time. */
  readonly now?: (() => bigint) | undefined;
}

/** A graph and where it came from, for reports and tests. */
export interface CachedGraph {
  readonly graph: ImageGraph;
  /** Whether the graph came from the cache file rather than from reading the Dockerfiles. */
  readonly reused: boolean;
  /** Reason a cache file that was present could not be used, or `undefined`. */
  readonly rejection: string | undefined;
  /** Reason the graph could not be saved for the next run, or `undefined`. */
  readonly saveError: string | undefined;
}

/** An image node without its spec, which is taken from the config each run. */
type StoredNode = Omit<ImageNode, 'spec'>;

interface CacheBody {
  /** Digest of everything besides the Dockerfiles that the graph is built from; see `cacheKey`. */
  readonly key: string;
  /** Every Dockerfile read, by absolute path, with its stat key as text. */
  readonly dockerfiles: readonly (readonly [string, string])[];
  readonly order: readonly string[];
  readonly nodes: readonly StoredNode[];
}

/**
 * Returns the graph of an earlier run when the config, the options, the code and every Dockerfile's stat key
 * are unchanged, else builds the graph and saves it for the next run. Reading a few thousand Dockerfiles
 * and resolving their builds takes most of a warm run, while the stat keys take a few milliseconds.
 *
 * Build-context files are not part of the graph, and the checksums are computed from them every run. A
 * Dockerfile changed within `RACY_WINDOW_NS` before the run started, or during it, is not trusted, so no
 * graph is saved then.
 */
export function buildGraphCached(project: Project, options: BuildGraphOptions, cache: GraphCacheOptions): CachedGraph {
  // Proxy args may carry credentials, and an ENV that expands one would put its value in the saved graph.
  if (project.images.some(hasProxyArg)) {
    return { graph: buildGraph(project, options), reused: false, rejection: undefined, saveError: undefined };
  }

  // No Dockerfile changed after this time is trusted, so a change during a long run is never saved.
  const readStartedAtNs = cache.now === undefined ? currentTimeNs(path.dirname(cache.file)) : cache.now();
  const key = cacheKey(project, options, cache.codeDigest);
  const dockerfiles = [...new Set(project.images.map((spec) => spec.dockerfile))].sort();
  // Taken before any Dockerfile is read, so that a graph saved below matches these keys or is not saved.
  const before = statKeys(dockerfiles);
  const loaded = readCache(cache.file);
  if (loaded.body !== undefined && loaded.body.key === key && before !== undefined && sameStats(loaded.body.dockerfiles, before)) {
    const graph = attachSpecs(loaded.body, project);
    if (graph !== undefined) {
      return { graph, reused: true, rejection: undefined, saveError: undefined };
    }
  }

  const built = buildGraph(project, options);
  if (before === undefined || !isSettled(before, readStartedAtNs)) {
    return { graph: built, reused: false, rejection: loaded.rejection, saveError: undefined };
  }

  const texts = before.map(([file, stat]): [string, string] => [file, statKeyText(stat)]);
  const graph = { ...built, inputsDigest: inputsDigest(key, texts) };
  const saveError = save(cache.file, { key, dockerfiles: texts, order: graph.order, nodes: storedNodes(graph) });
  return { graph, reused: false, rejection: loaded.rejection, saveError };
}

/** Digests the cache key and every Dockerfile's stat key, which together decide the whole graph. */
function inputsDigest(key: string, dockerfiles: readonly (readonly [string, string])[]): string {
  return sha256Hex(canonicalJson([key, dockerfiles]));
}

function hasProxyArg(spec: ImageSpec): boolean {
  return Object.keys(spec.args).some(isProxyArg);
}

/**
 * Digests what a graph is built from besides the Dockerfiles' bytes: the code, this Node and V8 (the
 * serialisation format), the build platform for the automatic args, and the whole config as loaded. The
 * config gives the root, the builder and every image's paths, args, target and platform.
 */
function cacheKey(project: Project, options: BuildGraphOptions, codeDigest: string): string {
  return sha256Hex(
    canonicalJson({
      version: GRAPH_CACHE_VERSION,
      code: codeDigest,
      // Unicode tables in Node's ICU can change case mapping within one V8 version.
      node: process.version,
      v8: process.versions.v8,
      buildPlatform: options.buildPlatform ?? hostPlatform(),
      root: project.root,
      builder: project.builder,
      images: project.images,
    }),
  );
}

/** Stats every Dockerfile, following symlinks as reading it does; `undefined` when one is missing. */
function statKeys(files: readonly string[]): [string, StatKey][] | undefined {
  const keys: [string, StatKey][] = [];
  for (const file of files) {
    const stats = statSync(file, { bigint: true, throwIfNoEntry: false });
    if (stats === undefined) {
      return undefined;
    }
    keys.push([file, statKeyOf(stats)]);
  }
  return keys;
}

function sameStats(stored: readonly (readonly [string, string])[], current: readonly (readonly [string, StatKey])[]): boolean {
  if (stored.length !== current.length) {
    return false;
  }
  return stored.every(([file, text], index) => {
    const [currentFile, stat] = current[index] as readonly [string, StatKey];
    return file === currentFile && text === statKeyText(stat);
  });
}

function storedNodes(graph: ImageGraph): StoredNode[] {
  return graph.order.map((name) => {
    const { spec: _spec, ...stored } = graph.images.get(name) as ImageNode;
    return stored;
  });
}

/** Rebuilds the graph with this run's spec objects; `undefined` when the names do not match the config. */
function attachSpecs(body: CacheBody, project: Project): ImageGraph | undefined {
  const specs = new Map(project.images.map((spec) => [spec.name, spec]));
  if (body.order.length !== specs.size || body.nodes.length !== specs.size) {
    return undefined;
  }

  const images = new Map<string, ImageNode>();
  for (const [index, name] of body.order.entries()) {
    const spec = specs.get(name);
    const stored = body.nodes[index];
    if (spec === undefined || stored === undefined) {
      return undefined;
    }
    images.set(name, { spec, ...stored });
  }
  return { root: project.root, builder: project.builder, images, order: body.order, inputsDigest: inputsDigest(body.key, body.dockerfiles) };
}

/**
 * Reports whether every Dockerfile is unchanged since before it was read and was older than the racy window
 * when the run started, so that its stat key stands for its content in later runs.
 */
function isSettled(before: readonly (readonly [string, StatKey])[], readStartedAtNs: bigint): boolean {
  const after = statKeys(before.map(([dockerfile]) => dockerfile));
  return (
    after !== undefined &&
    after.every(([, stat], index) => {
      const earlier = before[index]?.[1];
      return earlier !== undefined && statKeyText(stat) === statKeyText(earlier) && isSafelyOlder(stat, readStartedAtNs);
    })
  );
}

/** Writes the cache file, and returns the reason when that fails, which costs the next run only time. */
function save(file: string, body: CacheBody): string | undefined {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomically(file, encodeStateFile(FORMAT, serialize(body)));
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Reads the cache file. A missing file gives neither a body nor a rejection. Another magic or version, a
 * bad checksum or an undecodable body gives a rejection, and the caller builds the graph from the Dockerfiles.
 */
function readCache(file: string): { body: CacheBody | undefined; rejection: string | undefined } {
  const decoded = readStateFile(FORMAT, file);
  if (decoded?.body === undefined) {
    return { body: undefined, rejection: decoded?.rejection };
  }

  try {
    const body: unknown = deserialize(decoded.body);
    return isCacheBody(body) ? { body, rejection: undefined } : { body: undefined, rejection: 'body has an unexpected shape' };
  } catch {
    return { body: undefined, rejection: 'body cannot be decoded' };
  }
}

/** Checks the outer shape only: a body whose key matches was written by this same code. */
function isCacheBody(value: unknown): value is CacheBody {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const body = value as Record<string, unknown>;
  return (
    typeof body['key'] === 'string' &&
    Array.isArray(body['dockerfiles']) &&
    body['dockerfiles'].every((row) => Array.isArray(row) && row.length === 2 && typeof row[0] === 'string' && typeof row[1] === 'string') &&
    Array.isArray(body['order']) &&
    body['order'].every((name) => typeof name === 'string') &&
    Array.isArray(body['nodes'])
  );
}
