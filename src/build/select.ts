import { ImagesumError } from '../errors.js';
import type { ImageGraph } from '../graph/types.js';
import { matchKey, parseReference } from '../reference/index.js';

/**
 * Maps image names from the command line to the tree's names. `emu/base` and `docker.io/emu/base:latest`
 * both select `emu/base:latest`. No names selects every image.
 */
export function selectImages(graph: ImageGraph, names: readonly string[]): string[] {
  if (names.length === 0) {
    return [...graph.order];
  }

  const byKey = new Map<string, string>();
  for (const name of graph.order) {
    byKey.set(matchKey(parseReference(name)), name);
  }

  const selected = new Set<string>();
  for (const name of names) {
    const local = byKey.get(matchKey(parseReference(name)));
    if (local === undefined) {
      throw new ImagesumError('usage', `unknown image ${name}; run 'imagesum graph' to list the images of this tree`);
    }
    selected.add(local);
  }
  return graph.order.filter((name) => selected.has(name));
}
