import { checksumGraph, loadGraph, type Analysis, type AnalyzeOptions } from '../analysis.js';
import type { ExternalIdentity } from '../checksum/index.js';
import type { Warning } from '../config/types.js';
import { createEngineClient, type EngineClient } from '../engine/index.js';
import type { ImageGraph } from '../graph/types.js';
import { normalizedName, type ImageReference } from '../reference/index.js';
import { compareWithEngine, EngineImageIndex, type ImageStatus } from './index.js';

export interface EngineAnalyzeOptions extends Omit<AnalyzeOptions, 'identifyExternal'> {
  /** Never pull: an external base the engine lacks is then known by its reference only. */
  readonly offline: boolean;
  /** Engine address; defaults to DOCKER_HOST, then the default socket. */
  readonly host?: string | undefined;
  /** Called before each pull of a missing external image. */
  readonly onPull?: ((reference: string) => void) | undefined;
}

/** An analysis whose external images are identified by the engine, with each image's state in it. */
export interface EngineAnalysis extends Analysis {
  readonly engine: EngineClient;
  readonly statuses: ReadonlyMap<string, ImageStatus>;
}

/**
 * Analyses the tree against the engine. One request lists every image with its labels and ID. That list gives
 * the state of every tree image and the ID of every external base, which is the image the builder starts from.
 */
export async function analyzeAgainstEngine(options: EngineAnalyzeOptions): Promise<EngineAnalysis> {
  const { project, graph } = loadGraph(options);
  const engine = createEngineClient({ host: options.host });
  const warnings: Warning[] = [...project.warnings];

  let index = new EngineImageIndex(await engine.listAllImages());
  const missing = missingExternalImages(graph, index);
  if (missing.length > 0 && !options.offline) {
    for (const reference of missing) {
      options.onPull?.(normalizedName(reference));
      await engine.pullImage(reference);
    }
    index = new EngineImageIndex(await engine.listAllImages());
  } else {
    for (const reference of missing) {
      warnings.push({ message: `external image ${normalizedName(reference)} is not in the engine; the images built on it count as stale`, location: undefined });
    }
  }

  const checksums = checksumGraph(project, graph, { ...options, identifyExternal: (reference) => identifyWith(index, reference) }, warnings);
  const statuses = compareWithEngine(graph, checksums, index);
  return { project, graph, checksums, warnings, engine, statuses };
}

function identifyWith(index: EngineImageIndex, reference: ImageReference): ExternalIdentity {
  if (reference.digest !== undefined) {
    return { kind: 'digest', digest: reference.digest };
  }

  const name = normalizedName(reference);
  const image = index.find(name);
  return image === undefined ? { kind: 'reference', reference: name } : { kind: 'image-id', reference: name, id: image.id };
}

/** External images read without a pinned digest that the engine does not have. */
function missingExternalImages(graph: ImageGraph, index: EngineImageIndex): ImageReference[] {
  const missing = new Map<string, ImageReference>();
  for (const node of graph.images.values()) {
    for (const link of node.links) {
      if (link.local === undefined && link.reference.digest === undefined && index.find(normalizedName(link.reference)) === undefined) {
        missing.set(normalizedName(link.reference), link.reference);
      }
    }
  }
  return [...missing.keys()].sort().map((key) => missing.get(key)!);
}
