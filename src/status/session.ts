import { checksumGraph, loadGraph, readContexts, type Analysis, type AnalyzeOptions, type ContextReads } from '../analysis.js';
import type { ExternalIdentity } from '../checksum/index.js';
import type { Project, Warning } from '../config/types.js';
import { ImagesumError } from '../errors.js';
import { createEngineClient, type EngineClient, type EngineImage } from '../engine/index.js';
import type { ImageGraph } from '../graph/types.js';
import { normalizedName, type ImageReference } from '../reference/index.js';
import { compareWithEngine, EngineImageIndex, type ImageStatus } from './index.js';

export interface EngineAnalyzeOptions extends Omit<AnalyzeOptions, 'identifyExternal'> {
  /** Never pull: an external base the engine lacks is then known by its reference only. */
  readonly offline: boolean;
  /** Engine address; defaults to DOCKER_HOST, then the default socket. */
  readonly host?: string | undefined;
  /** The engine behind the API socket, which decides how short names match local tags. Default: docker. */
  readonly engineKind?: 'docker' | 'podman' | undefined;
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
  const engine = createEngineClient({ host: options.host });
  const cancel = new AbortController();
  const listing = await requestBeforeReading(engine, cancel.signal);
  const { project, graph, contexts, loadWarnings } = readTreeOrCancel(options, cancel);
  const warnings: Warning[] = [...loadWarnings];

  let index = new EngineImageIndex(await listing.images, options.engineKind);
  const missing = missingExternalImages(graph, index);
  const unavailable = options.offline ? missing : await pullAll(engine, missing, options, warnings);
  if (unavailable.length < missing.length) {
    index = new EngineImageIndex(await engine.listAllImages(), options.engineKind);
  }
  for (const reference of unavailable) {
    warnings.push({ message: `external image ${normalizedName(reference)} is not in the engine; the images built on it count as stale`, location: undefined });
  }

  const identifyExternal = (reference: ImageReference) => identifyWith(index, reference);
  const checksums = checksumGraph(project, graph, { ...options, identifyExternal, contexts }, warnings);
  const statuses = compareWithEngine(graph, checksums, index);
  return { project, graph, checksums, warnings, engine, statuses };
}

/**
 * How long reading the tree waits for the list request to be written. A local socket takes a few
 * milliseconds, and an engine address that does not accept the connection must not hold up a config error.
 */
const SEND_WAIT_MS = 100;

/**
 * Requests the image list and resolves once the request is on the socket, has failed, or `SEND_WAIT_MS` has
 * passed. Reading the tree then overlaps with the engine's work, and a synchronous read started before the
 * request is written would hold the request back. The handler attached here also keeps a failed or
 * cancelled list from ending the process as an unhandled rejection. The list is wrapped, so that this
 * function does not wait for it.
 */
async function requestBeforeReading(engine: EngineClient, signal: AbortSignal): Promise<{ readonly images: Promise<EngineImage[]> }> {
  let images: Promise<EngineImage[]> = Promise.resolve([]);
  const written = new Promise<void>((resolve) => {
    images = engine.listAllImages({ onSent: resolve, signal });
  });

  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, SEND_WAIT_MS);
  });
  await Promise.race([written, waited, images.then(() => undefined, () => undefined)]);
  clearTimeout(timer);
  return { images };
}

/**
 * Reads the Dockerfiles and what the builds take from their contexts, and cancels the pending list request
 * when that fails, so no socket outlives the error.
 */
function readTreeOrCancel(
  options: EngineAnalyzeOptions,
  cancel: AbortController,
): { project: Project; graph: ImageGraph; contexts: ContextReads; loadWarnings: readonly Warning[] } {
  try {
    const { project, graph, warnings } = loadGraph(options);
    return { project, graph, contexts: readContexts(project, graph, options), loadWarnings: warnings };
  } catch (error) {
    cancel.abort();
    throw error;
  }
}

/**
 * Pulls each missing image and returns those that could not be pulled. A failed pull is a warning, not an
 * error, so that the status of every other image is still reported.
 */
async function pullAll(
  engine: EngineClient,
  missing: readonly ImageReference[],
  options: EngineAnalyzeOptions,
  warnings: Warning[],
): Promise<ImageReference[]> {
  const failed: ImageReference[] = [];
  for (const reference of missing) {
    options.onPull?.(normalizedName(reference));
    try {
      await engine.pullImage(reference);
    } catch (error) {
      if (!(error instanceof ImagesumError)) {
        throw error;
      }
      warnings.push({ message: error.message, location: undefined });
      failed.push(reference);
    }
  }
  return failed;
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
