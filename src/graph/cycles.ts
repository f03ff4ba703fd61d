import { compareCodeUnits } from '../digest.js';
import { ImagesumError, formatLocation, type SourceLocation } from '../errors.js';

export interface Edge {
  readonly to: string;
  readonly location: SourceLocation;
}

/**
 * Orders nodes so that each comes after the nodes it has edges to, or raises for the first cycle found. This
 * runs as its own pass over the finished edge list, visiting names in sorted order, so the cycle reported
 * and the order returned do not depend on the order in which Dockerfiles were read. The search keeps its
 * own stack, because a chain of bases can be longer than the call stack allows.
 */
export function topologicalOrder(edges: ReadonlyMap<string, readonly Edge[]>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();

  for (const root of [...edges.keys()].sort(compareCodeUnits)) {
    if (state.has(root)) {
      continue;
    }
    const stack: Frame[] = [enter(root, undefined, edges, state)];

    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as Frame;
      const edge = frame.pending[frame.next++];
      if (edge === undefined) {
        stack.pop();
        state.set(frame.name, 'done');
        order.push(frame.name);
        continue;
      }

      const seen = state.get(edge.to);
      if (seen === 'visiting') {
        throw cycleError(stack, edge.to, edge);
      }
      if (seen === undefined) {
        stack.push(enter(edge.to, edge, edges, state));
      }
    }
  }
  return order;
}

/** A node on the search stack, with the edge that led to it and the edges still to follow. */
interface Frame {
  readonly name: string;
  readonly via: Edge | undefined;
  readonly pending: readonly Edge[];
  next: number;
}

function enter(name: string, via: Edge | undefined, edges: ReadonlyMap<string, readonly Edge[]>, state: Map<string, 'visiting' | 'done'>): Frame {
  state.set(name, 'visiting');
  const pending = [...(edges.get(name) ?? [])].sort((a, b) => compareCodeUnits(a.to, b.to));
  return { name, via, pending, next: 0 };
}

function cycleError(stack: readonly Frame[], repeated: string, closing: Edge | undefined): ImagesumError {
  const start = stack.findIndex((frame) => frame.name === repeated);
  const frames = stack.slice(start);
  const steps = frames.slice(1).map((frame) => `${frame.name} (${formatLocation(frame.via!.location)})`);
  const last = `${repeated} (${closing === undefined ? '?' : formatLocation(closing.location)})`;
  const path = [repeated, ...steps, last].join(' -> ');
  return new ImagesumError('graph', `dependency cycle: ${path}; an image cannot build FROM itself or its own descendants`);
}
