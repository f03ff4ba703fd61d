import type { ImageChecksumResult } from '../checksum/index.js';
import { displayPath } from '../checksum/index.js';
import { assertNever } from '../errors.js';
import type { ImageGraph, ImageNode } from '../graph/types.js';

export type GraphFormat = 'text' | 'json' | 'dot' | 'mermaid';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['text', 'json', 'dot', 'mermaid'];

/** One image as `imagesum graph --format json` prints it. Paths are relative to the project root. */
export interface GraphJsonImage {
  readonly name: string;
  readonly dockerfile: string;
  readonly context: string;
  readonly checksum: string;
  /** Names of the tree's images this one builds on. */
  readonly dependsOn: readonly string[];
  /** Other images it reads, as written after ARG expansion. */
  readonly external: readonly string[];
}

export function formatGraph(
  graph: ImageGraph,
  checksums: ReadonlyMap<string, ImageChecksumResult>,
  format: GraphFormat,
): string {
  switch (format) {
    case 'text':
      return formatText(graph);
    case 'json':
      return `${JSON.stringify({ images: graphJson(graph, checksums) }, null, 2)}\n`;
    case 'dot':
      return formatDot(graph);
    case 'mermaid':
      return formatMermaid(graph);
    default:
      return assertNever(format);
  }
}

export function graphJson(graph: ImageGraph, checksums: ReadonlyMap<string, ImageChecksumResult>): GraphJsonImage[] {
  return graph.order.map((name) => {
    const node = graph.images.get(name)!;
    return {
      name,
      dockerfile: displayPath(graph.root, node.spec.dockerfile),
      context: displayPath(graph.root, node.spec.context),
      checksum: checksums.get(name)?.checksum ?? '',
      dependsOn: node.dependsOn,
      external: externalReferences(node),
    };
  });
}

function externalReferences(node: ImageNode): string[] {
  const seen = new Set<string>();
  for (const link of node.links) {
    if (link.local === undefined) {
      seen.add(link.use.reference);
    }
  }
  return [...seen];
}

function formatText(graph: ImageGraph): string {
  const lines: string[] = [];
  for (const name of graph.order) {
    const node = graph.images.get(name)!;
    lines.push(`${name}  (${displayPath(graph.root, node.spec.dockerfile)})`);
    for (const dependency of node.dependsOn) {
      lines.push(`  <- ${dependency}`);
    }
    for (const reference of externalReferences(node)) {
      lines.push(`  <- ${reference} (external)`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function formatDot(graph: ImageGraph): string {
  const lines = ['digraph imagesum {', '  rankdir=BT;'];
  const externals = new Set<string>();
  for (const name of graph.order) {
    const node = graph.images.get(name)!;
    lines.push(`  ${JSON.stringify(name)};`);
    for (const dependency of node.dependsOn) {
      lines.push(`  ${JSON.stringify(name)} -> ${JSON.stringify(dependency)};`);
    }
    for (const reference of externalReferences(node)) {
      externals.add(reference);
      lines.push(`  ${JSON.stringify(name)} -> ${JSON.stringify(reference)};`);
    }
  }
  for (const reference of [...externals].sort()) {
    lines.push(`  ${JSON.stringify(reference)} [style=dashed];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function formatMermaid(graph: ImageGraph): string {
  const ids = new Map<string, string>();
  const idOf = (name: string): string => {
    let id = ids.get(name);
    if (id === undefined) {
      id = `n${ids.size}`;
      ids.set(name, id);
    }
    return id;
  };
  // Mermaid labels cannot hold a raw double quote, so it is written as an HTML entity.
  const label = (name: string): string => `["${name.replace(/"/g, '#quot;')}"]`;

  const lines = ['graph BT'];
  for (const name of graph.order) {
    const node = graph.images.get(name)!;
    lines.push(`  ${idOf(name)}${label(name)}`);
    for (const dependency of node.dependsOn) {
      lines.push(`  ${idOf(name)} --> ${idOf(dependency)}`);
    }
    for (const reference of externalReferences(node)) {
      const known = ids.has(reference);
      lines.push(`  ${idOf(name)} -.-> ${idOf(reference)}${known ? '' : label(reference)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
