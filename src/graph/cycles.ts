import { compareCodeUnits } from '../digest.js';
import { ImagesumError, formatLocation, type SourceLocation } from '../errors.js';

export interface Edge {
  readonly to: string;
  readonly location: SourceLocation;
}

/**
 * Orders nodes so that each comes after the nodes it has edges to, or raises for the first cycle found. This
 * runs as its own pass over the finished edge list, visiting names in sorted order, so the cycle reported
 * and the order returned do not depend on the order in which Dockerfiles were read.
 */
export function topologicalOrder(edges: ReadonlyMap<string, readonly Edge[]>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: { name: string; via: Edge | undefined }[] = [];

  const visit = (name: string, via: Edge | undefined): void => {
    const seen = state.get(name);
    if (seen === 'done') {
      return;
    }
    if (seen === 'visiting') {
      throw cycleError(stack, name, via);
    }

    state.set(name, 'visiting');
    stack.push({ name, via });
    const sorted = [...(edges.get(name) ?? [])].sort((a, b) => compareCodeUnits(a.to, b.to));
    for (const edge of sorted) {
      visit(edge.to, edge);
    }
    stack.pop();
    state.set(name, 'done');
    order.push(name);
  };

  for (const name of [...edges.keys()].sort(compareCodeUnits)) {
    visit(name, undefined);
  }
  return order;
}

function cycleError(stack: readonly { name: string; via: Edge | undefined }[], repeated: string, closing: Edge | undefined): ImagesumError {
  const start = stack.findIndex((frame) => frame.name === repeated);
  const frames = stack.slice(start);
  const steps = frames.slice(1).map((frame) => `${frame.name} (${formatLocation(frame.via!.location)})`);
  const last = `${repeated} (${closing === undefined ? '?' : formatLocation(closing.location)})`;
  const path = [repeated, ...steps, last].join(' -> ');
  return new ImagesumError('graph', `dependency cycle: ${path}; an image cannot build FROM itself or its own descendants`);
}
