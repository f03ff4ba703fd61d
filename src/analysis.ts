import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

import { ChecksumCache, checksumReuse, saveChecksumCache, type ChecksumReuse } from './checksum/cache.js';
import { computeChecksums, offlineIdentity, type ExternalIdentity, type ImageChecksumResult } from './checksum/index.js';
import { loadProject, type Project, type Warning } from './config/index.js';
import { createFileHasher, loadStatCache, openBuildContext, saveStatCache, type FileHasher } from './context/index.js';
import type { BuildContext, ContextEntry } from './context/types.js';
import { sha256Hex } from './digest.js';
import { currentTimeNs } from './state-files.js';
import { internalError } from './errors.js';
import type { BuilderKind, ContextRead } from './dockerfile/types.js';
import { codeDigest } from './code-identity.js';
import { buildGraph, type ImageGraph, type ImageNode } from './graph/index.js';
import { buildGraphCached } from './graph/cache.js';
import type { ImageReference } from './reference/index.js';

const STAT_CACHE_FILE = 'stat-cache.json';
const GRAPH_CACHE_FILE = 'graph-cache.bin';
const CHECKSUM_CACHE_FILE = 'checksum-cache.json';

/**
 * Returns the folder for a project's caches and build logs: `$IMAGESUM_CACHE_DIR`, else the user's cache folder,
 * one subfolder per project root. It lives outside the tree because a file that imagesum writes inside a
 * build context would be read by `COPY .` and change the checksum on every run.
 */
export function stateFolder(root: string): string {
  const base = process.env['IMAGESUM_CACHE_DIR'] || path.join(process.env['XDG_CACHE_HOME'] || path.join(homedir(), '.cache'), 'imagesum');
  return path.join(base, sha256Hex(path.resolve(root)).slice(0, 16));
}

export interface AnalyzeOptions {
  /** The folder the run starts in (`-C`). */
  readonly cwd: string;
  readonly configFile?: string | undefined;
  readonly builder?: BuilderKind | undefined;
  /** The engine's platform, for the automatic `BUILD*` args; defaults to this machine's. */
  readonly buildPlatform?: string | undefined;
  /** Identifies external images; without it, only a pinned digest or the reference is known. */
  readonly identifyExternal?: ((reference: ImageReference) => ExternalIdentity) | undefined;
  /** Reads and writes the stat cache in `stateFolder(root)`, so unchanged files are not read again. Default: true. */
  readonly statCache?: boolean | undefined;
  /**
   * Reads and writes the graph cache in `stateFolder(root)`, so that a run whose config and Dockerfiles are
   * unchanged skips parsing them. Build contexts are read every run either way. Default: true.
   */
  readonly graphCache?: boolean | undefined;
  /**
   * Reads and writes the checksum cache in `stateFolder(root)`, so that an image whose graph node, context
   * fingerprint, base checksums and external identities all match the last run keeps its checksum without
   * its files being selected and hashed. Used only with a graph from `loadGraph` that has an `inputsDigest`. Default: true.
   */
  readonly checksumCache?: boolean | undefined;
}

/** The images of a tree, how they depend on each other, and their checksums. */
export interface Analysis {
  readonly project: Project;
  readonly graph: ImageGraph;
  readonly checksums: ReadonlyMap<string, ImageChecksumResult>;
  readonly warnings: readonly Warning[];
}

/** A loaded config, its graph, and the config's warnings with any of loading the graph. */
export interface LoadedGraph {
  readonly project: Project;
  readonly graph: ImageGraph;
  readonly warnings: readonly Warning[];
}

/** Reads the config and the Dockerfiles (or the graph cache) and links the images. Touches no build-context file. */
export function loadGraph(options: AnalyzeOptions): LoadedGraph {
  const project = loadProject({ cwd: options.cwd, configFile: options.configFile, builder: options.builder });
  const graphOptions = { buildPlatform: options.buildPlatform };
  const code = codeDigest();
  if (!(options.graphCache ?? true) || code === undefined) {
    return { project, graph: buildGraph(project, graphOptions), warnings: project.warnings };
  }

  const file = path.join(stateFolder(project.root), GRAPH_CACHE_FILE);
  const cached = buildGraphCached(project, graphOptions, { file, codeDigest: code });
  const warnings = [...project.warnings];
  if (cached.saveError !== undefined) {
    warnings.push({ message: `cannot save the cache file ${file}: ${cached.saveError}; the next run computes its content again`, location: undefined });
  }
  return { project, graph: cached.graph, warnings };
}

/** The build contexts of a graph, opened and read once, and the hasher that read their files. */
export interface ContextReads {
  /** A time taken before any context was read: no file changed after it is trusted by a saved cache. */
  readonly readStartedAtNs: bigint;
  readonly hasher: FileHasher;
  /** The stat cache file to save, or `undefined` when the run keeps none. */
  readonly cacheFile: string | undefined;
  /** Returns an image's context, whose selections are read already unless its graph node and context match the last run. */
  readonly open: (node: ImageNode) => BuildContext;
  /** The checksums of the last run and the file they are saved to, or `undefined` when the run keeps none. */
  readonly checksums: { readonly cache: ChecksumCache; readonly file: string; readonly reuse: ChecksumReuse } | undefined;
}

/**
 * Opens every build context of the graph and reads what each instruction takes from it, hashing the files.
 * A caller that waits for the engine does this first, so the reading overlaps with the engine's work and a
 * missing COPY source is reported before an engine failure, as `hash` would report it. An image whose graph
 * node and context match the last run's is only walked: its selections succeeded then on the same files.
 */
export function readContexts(project: Project, graph: ImageGraph, options: Pick<AnalyzeOptions, 'statCache' | 'checksumCache'>): ContextReads {
  const folder = stateFolder(project.root);
  const readStartedAtNs = currentTimeNs(folder);
  const cacheFile = (options.statCache ?? true) ? path.join(folder, STAT_CACHE_FILE) : undefined;
  const hasher = createFileHasher(cacheFile === undefined ? undefined : () => loadStatCache(cacheFile));
  const open = contextOpener(graph, hasher);
  const checksums = openChecksumCache(graph, options, path.join(folder, CHECKSUM_CACHE_FILE), open);

  for (const name of graph.order) {
    const node = graph.images.get(name) ?? internalError(`image ${name} is in the order but not in the graph`);
    const reads = node.build.stages.flatMap((stage) => stage.contextReads);
    if (reads.length > 0 && !(checksums?.reuse.localInputsMatch(node) ?? false)) {
      const context = open(node);
      reads.forEach((read) => context.select(read));
    }
  }
  return { readStartedAtNs, hasher, cacheFile, open, checksums };
}

function openChecksumCache(graph: ImageGraph, options: Pick<AnalyzeOptions, 'checksumCache'>, file: string, open: (node: ImageNode) => BuildContext): ContextReads['checksums'] {
  if (!(options.checksumCache ?? true) || graph.inputsDigest === undefined) {
    return undefined;
  }
  const cache = ChecksumCache.load(file);
  return { cache, file, reuse: checksumReuse(graph, cache, open) };
}

/** Computes the checksums of a loaded graph, hashing each build-context file once. */
export function checksumGraph(
  project: Project,
  graph: ImageGraph,
  options: Pick<AnalyzeOptions, 'identifyExternal' | 'statCache' | 'checksumCache'> & { readonly contexts?: ContextReads | undefined },
  warnings: Warning[] = [],
): ReadonlyMap<string, ImageChecksumResult> {
  const contexts = options.contexts ?? readContexts(project, graph, options);
  const checksums = computeChecksums(graph, {
    openContext: contexts.open,
    identifyExternal: options.identifyExternal ?? offlineIdentity,
    reuse: contexts.checksums?.reuse,
  });

  saveCaches(contexts, warnings);
  return checksums;
}

/** Saves the stat and checksum caches that changed in this run. */
function saveCaches(contexts: ContextReads, warnings: Warning[]): void {
  const { hasher, cacheFile, checksums, readStartedAtNs } = contexts;
  if (cacheFile !== undefined && hasher.cacheLoaded && hasher.cache.needsSave) {
    writeCache(cacheFile, warnings, () => saveStatCache(hasher.cache, cacheFile, readStartedAtNs));
  }
  if (checksums !== undefined && checksums.cache.needsSave) {
    writeCache(checksums.file, warnings, () => saveChecksumCache(checksums.cache, checksums.file, readStartedAtNs));
  }
}

/** Loads the graph and computes every checksum. */
export function analyze(options: AnalyzeOptions): Analysis {
  const loaded = loadGraph(options);
  const { project, graph } = loaded;
  const warnings = [...loaded.warnings];
  const checksums = checksumGraph(project, graph, options, warnings);
  return { project, graph, checksums, warnings };
}

/**
 * Saves a cache file. A run that cannot write it still has its checksums, so a failure here is a warning:
 * the next run only computes again what the file would have kept.
 */
function writeCache(file: string, warnings: Warning[], write: () => void): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    write();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    warnings.push({ message: `cannot save the cache file ${file}: ${reason}; the next run computes its content again`, location: undefined });
  }
}

/**
 * Opens each (context, Dockerfile) pair once, because images of one tree often share a context folder, and
 * keeps each read's selection, because `readContexts` selects before the checksums are computed.
 */
function contextOpener(graph: ImageGraph, hasher: FileHasher): (node: ImageNode) => BuildContext {
  const opened = new Map<string, BuildContext>();
  return (node) => {
    const key = `${node.spec.context}\0${node.spec.dockerfile}`;
    let context = opened.get(key);
    if (context === undefined) {
      context = withKeptSelections(openBuildContext({ dir: node.spec.context, dockerfile: node.spec.dockerfile, builder: graph.builder, hasher }));
      opened.set(key, context);
    }
    return context;
  };
}

function withKeptSelections(context: BuildContext): BuildContext {
  const selections = new Map<ContextRead, readonly ContextEntry[]>();
  return {
    dir: context.dir,
    ignoreFile: context.ignoreFile,
    fingerprint: () => context.fingerprint(),
    select(read: ContextRead): readonly ContextEntry[] {
      let entries = selections.get(read);
      if (entries === undefined) {
        entries = context.select(read);
        selections.set(read, entries);
      }
      return entries;
    },
  };
}
