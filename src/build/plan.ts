import type { ImageGraph } from '../graph/types.js';
import type { ImageStatus } from '../status/index.js';
import type { PlannedBuild } from './events.js';

export interface PlanOptions {
  /** Rebuild the selected images even when they are fresh. */
  readonly force: boolean;
}

/**
 * Lists the builds needed for the selected images: each selected image that is not fresh (or every selected
 * image with `force`), plus every base below them that is not fresh. The list is in dependency order.
 */
export function planBuilds(
  graph: ImageGraph,
  statuses: ReadonlyMap<string, ImageStatus>,
  selected: readonly string[],
  options: PlanOptions,
): PlannedBuild[] {
  const wanted = new Map<string, string>();
  const visit = (name: string, isSelected: boolean): void => {
    const status = statuses.get(name)!;
    if (isSelected && options.force) {
      wanted.set(name, status.state === 'fresh' ? 'forced' : status.reason);
    } else if (status.state !== 'fresh') {
      wanted.set(name, status.reason);
    }
    for (const base of graph.images.get(name)!.dependsOn) {
      visit(base, false);
    }
  };
  for (const name of selected) {
    visit(name, true);
  }

  return graph.order
    .filter((name) => wanted.has(name))
    .map((name) => ({
      name,
      checksum: statuses.get(name)!.checksum,
      reason: wanted.get(name)!,
      after: transitiveBasesInPlan(graph, name, wanted),
      forced: options.force && selected.includes(name),
    }));
}

/**
 * Names the planned images this one must wait for. Direct bases are enough: a base below a fresh base cannot
 * be stale, because a stale base changes the checksum of everything above it.
 */
function transitiveBasesInPlan(graph: ImageGraph, name: string, wanted: ReadonlyMap<string, string>): string[] {
  return graph.images.get(name)!.dependsOn.filter((base) => wanted.has(base));
}
