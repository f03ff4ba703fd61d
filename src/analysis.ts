import path from 'node:path';

import { computeChecksums, offlineIdentity, type ExternalIdentity, type ImageChecksumResult } from './checksum/index.js';
import { loadProject, type Project, type Warning } from './config/index.js';
import { createFileHasher, loadStatCache, openBuildContext, saveStatCache, type FileHasher } from './context/index.js';
import type { BuildContext } from './context/types.js';
import type { BuilderKind } from './dockerfile/types.js';
import { buildGraph, type ImageGraph, type ImageNode } from './graph/index.js';
import type { ImageReference } from './reference/index.js';

/** Where imagesum keeps its stat cache and build logs, below the project root. */
export const STATE_FOLDER = '.imagesum';
const STAT_CACHE_FILE = 'stat-cache.json';

export interface AnalyzeOptions {
  /** The folder the run starts in (`-C`). */
  readonly cwd: string;
  readonly configFile?: string | undefined;
  readonly builder?: BuilderKind | undefined;
  /** The engine's platform, for the automatic `BUILD*` args; defaults to this machine's. */
  readonly buildPlatform?: string | undefined;
  /** Identifies external images; without it, only a pinned digest or the reference is known. */
  readonly identifyExternal?: ((reference: ImageReference) => ExternalIdentity) | undefined;
  /** Reads and writes `.imagesum/stat-cache.json` so unchanged files are not read again. Default: true. */
  readonly statCache?: boolean | undefined;
}

/** The images of a tree, how they depend on each other, and their checksums. */
export interface Analysis {
  readonly project: Project;
  readonly graph: ImageGraph;
  readonly checksums: ReadonlyMap<string, ImageChecksumResult>;
  readonly warnings: readonly Warning[];
}

/** Reads the config and the Dockerfiles and links the images. Touches no build-context file. */
export function loadGraph(options: AnalyzeOptions): { project: Project; graph: ImageGraph } {
  const project = loadProject({ cwd: options.cwd, configFile: options.configFile, builder: options.builder });
  const graph = buildGraph(project, { buildPlatform: options.buildPlatform });
  return { project, graph };
}

/** Computes the checksums of a loaded graph, hashing each build-context file once. */
export function checksumGraph(
  project: Project,
  graph: ImageGraph,
  options: Pick<AnalyzeOptions, 'identifyExternal' | 'statCache'>,
): ReadonlyMap<string, ImageChecksumResult> {
  const useCache = options.statCache ?? true;
  const cacheFile = path.join(project.root, STATE_FOLDER, STAT_CACHE_FILE);
  const hasher = createFileHasher(useCache ? loadStatCache(cacheFile) : undefined);

  const checksums = computeChecksums(graph, {
    openContext: contextOpener(graph, hasher),
    identifyExternal: options.identifyExternal ?? offlineIdentity,
  });

  if (useCache) {
    saveStatCache(hasher.cache, cacheFile);
  }
  return checksums;
}

/** Loads the graph and computes every checksum. */
export function analyze(options: AnalyzeOptions): Analysis {
  const { project, graph } = loadGraph(options);
  const checksums = checksumGraph(project, graph, options);
  return { project, graph, checksums, warnings: project.warnings };
}

/** Opens each (context, Dockerfile) pair once, because images of one tree often share a context folder. */
function contextOpener(graph: ImageGraph, hasher: FileHasher): (node: ImageNode) => BuildContext {
  const opened = new Map<string, BuildContext>();
  return (node) => {
    const key = `${node.spec.context}\0${node.spec.dockerfile}`;
    let context = opened.get(key);
    if (context === undefined) {
      context = openBuildContext({ dir: node.spec.context, dockerfile: node.spec.dockerfile, builder: graph.builder, hasher });
      opened.set(key, context);
    }
    return context;
  };
}
