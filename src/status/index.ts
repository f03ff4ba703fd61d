import type { ImageChecksumResult } from '../checksum/index.js';
import { changedParts, inputParts } from '../checksum/parts.js';
import type { EngineImage } from '../engine/types.js';
import type { ImageGraph } from '../graph/types.js';
import { matchKey, parseReference, podmanMatchKeys } from '../reference/index.js';
import { CHECKSUM_LABEL, PARTS_LABEL } from './labels.js';

export { CHECKSUM_LABEL, PARTS_LABEL } from './labels.js';

/**
 * - `fresh`: the engine has the image, labelled with the checksum of the current inputs.
 * - `stale`: the engine has an image by that name, but a build would change it or imagesum cannot tell.
 * - `missing`: the engine has no image by that name.
 */
export type ImageState = 'fresh' | 'stale' | 'missing';

export interface ImageStatus {
  readonly name: string;
  readonly state: ImageState;
  readonly checksum: string;
  /** The checksum on the engine's image, when it has one. */
  readonly labelled: string | undefined;
  readonly reason: string;
}

/** Finds the engine's image for each reference, as Docker or podman would resolve the name. */
export class EngineImageIndex {
  private readonly byKey = new Map<string, EngineImage>();

  /**
   * `podman` also matches `localhost/<name>`, the name podman gives local builds. Docker never resolves a
   * name that way, so on Docker such a tag must not make an image look present.
   */
  constructor(
    images: readonly EngineImage[],
    private readonly engineKind: 'docker' | 'podman' = 'docker',
  ) {
    for (const image of images) {
      for (const tag of image.repoTags) {
        this.add(tag, image);
      }
      for (const digest of image.repoDigests) {
        this.add(digest, image);
      }
    }
  }

  find(name: string): EngineImage | undefined {
    const reference = parseReference(name);
    const keys = this.engineKind === 'podman' ? podmanMatchKeys(reference) : [matchKey(reference)];
    for (const key of keys) {
      const image = this.byKey.get(key);
      if (image !== undefined) {
        return image;
      }
    }
    return undefined;
  }

  private add(name: string, image: EngineImage): void {
    try {
      this.byKey.set(matchKey(parseReference(name)), image);
    } catch {
      // The engine may hold names imagesum cannot parse; they cannot match a reference of the tree anyway.
    }
  }
}

/**
 * Compares each image's checksum with the label on the engine's image of that name. Images are visited in
 * dependency order, so a stale image can name the stale base that made it so.
 */
export function compareWithEngine(
  graph: ImageGraph,
  checksums: ReadonlyMap<string, ImageChecksumResult>,
  engine: EngineImageIndex,
): Map<string, ImageStatus> {
  const statuses = new Map<string, ImageStatus>();
  for (const name of graph.order) {
    statuses.set(name, statusOf(name, graph, checksums, engine, statuses));
  }
  return statuses;
}

function statusOf(
  name: string,
  graph: ImageGraph,
  checksums: ReadonlyMap<string, ImageChecksumResult>,
  engine: EngineImageIndex,
  earlier: ReadonlyMap<string, ImageStatus>,
): ImageStatus {
  const result = checksums.get(name)!;
  const image = engine.find(name);
  const labelled = image?.labels[CHECKSUM_LABEL];
  const status = (state: ImageState, reason: string): ImageStatus => ({ name, state, checksum: result.checksum, labelled, reason });

  if (image === undefined) {
    return status('missing', 'no image');
  }

  const [unresolved] = result.unresolvedExternal;
  if (unresolved !== undefined) {
    const where = unresolved.base === undefined ? '' : ` under base ${unresolved.base}`;
    return status('stale', `external image ${unresolved.source}${where} is not in the engine`);
  }

  const [unverifiable] = result.unverifiable;
  if (unverifiable !== undefined) {
    const where = unverifiable.base === undefined ? '' : ` in base ${unverifiable.base}`;
    return status('stale', `unverifiable input${where}: ADD ${unverifiable.source}`);
  }

  if (labelled === result.checksum) {
    return status('fresh', 'up to date');
  }

  const staleBase = graph.images.get(name)!.dependsOn.find((base) => earlier.get(base)?.state !== 'fresh');
  if (staleBase !== undefined) {
    return status('stale', `base ${staleBase} is ${earlier.get(staleBase)?.state ?? 'stale'}`);
  }

  if (labelled === undefined) {
    return status('stale', 'no imagesum label: built outside imagesum');
  }

  const changed = changedParts(inputParts(result.manifest), image.labels[PARTS_LABEL]);
  const detail = changed === undefined || changed.length === 0 ? '' : ` (changed: ${changed.join(', ')})`;
  return status('stale', `built from other inputs${detail}`);
}
