import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { Project } from '../config/types.js';
import type { ImageSpec } from '../config/types.js';
import { parseDockerfile, resolveBuild } from '../dockerfile/index.js';
import type { BaseImageFacts, ParsedDockerfile, ResolvedBuild } from '../dockerfile/types.js';
import { ImagesumError } from '../errors.js';
import { matchKey, parseReference, type ImageReference } from '../reference/index.js';
import { topologicalOrder, type Edge } from './cycles.js';
import type { ImageGraph, ImageLink, ImageNode } from './types.js';

export type { ImageGraph, ImageLink, ImageNode } from './types.js';

export interface BuildGraphOptions {
  /** The engine's platform, such as `linux/amd64`, for the automatic `BUILD*` args. */
  readonly buildPlatform?: string | undefined;
}

/**
 * Reads every Dockerfile of the project and links the images, in two passes. The first resolves each build
 * without knowing its bases, which is enough to find the FROM lines and so the edges. The second runs in
 * dependency order, so that each build reads the ENV and ONBUILD triggers of the bases in the tree.
 */
export function buildGraph(project: Project, options: BuildGraphOptions = {}): ImageGraph {
  const buildPlatform = options.buildPlatform ?? hostPlatform();
  const parsedFiles = new Map<string, ParsedDockerfile>();
  const localKeys = indexLocalNames(project.images);

  const firstPass = new Map<string, ImageNode>();
  for (const spec of project.images) {
    const parsed = readDockerfile(project, spec, parsedFiles);
    const build = resolveWithConfigLocation(spec, () => resolveBuild(parsed, resolveOptions(project, spec, buildPlatform, () => undefined)));
    firstPass.set(spec.name, makeNode(project, spec, parsed, build, localKeys));
  }

  const order = topologicalOrder(edgesOf(firstPass));
  const images = new Map<string, ImageNode>();
  for (const name of order) {
    const first = firstPass.get(name)!;
    const baseImage = (reference: string) => baseFactsOf(reference, localKeys, images);
    const build = resolveBuild(first.parsed, resolveOptions(project, first.spec, buildPlatform, baseImage));
    images.set(name, makeNode(project, first.spec, first.parsed, build, localKeys));
  }

  return { root: project.root, builder: project.builder, images, order };
}

/**
 * Runs a resolve step and gives an error without a Dockerfile line (a bad target or platform) the location
 * of the config entry, because that is where the user set the value.
 */
function resolveWithConfigLocation<T>(spec: ImageSpec, resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (error instanceof ImagesumError && error.location === undefined) {
      throw new ImagesumError('config', error.message, spec.definedAt);
    }
    throw error;
  }
}

/** Maps Node's platform to the OCI platform the engine on this machine reports. */
export function hostPlatform(): string {
  const architectures: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm/v7', ppc64: 'ppc64le', s390x: 's390x', ia32: '386' };
  return `linux/${architectures[process.arch] ?? process.arch}`;
}

function readDockerfile(project: Project, spec: ImageSpec, cache: Map<string, ParsedDockerfile>): ParsedDockerfile {
  const cached = cache.get(spec.dockerfile);
  if (cached !== undefined) {
    return cached;
  }

  const display = path.relative(project.root, spec.dockerfile);
  if (!existsSync(spec.dockerfile)) {
    throw new ImagesumError('config', `Dockerfile ${display} not found`, spec.definedAt);
  }
  const parsed = parseDockerfile(display, readFileSync(spec.dockerfile, 'utf8'));
  cache.set(spec.dockerfile, parsed);
  return parsed;
}

function resolveOptions(
  project: Project,
  spec: ImageSpec,
  buildPlatform: string,
  baseImage: (reference: string) => BaseImageFacts | undefined,
) {
  return {
    buildArgs: spec.args,
    target: spec.target,
    platform: spec.platform,
    buildPlatform,
    builder: project.builder,
    baseImage,
  };
}

function indexLocalNames(images: readonly ImageSpec[]): Map<string, string> {
  const keys = new Map<string, string>();
  for (const image of images) {
    keys.set(matchKey(parseReference(image.name, image.definedAt)), image.name);
  }
  return keys;
}

function makeNode(
  project: Project,
  spec: ImageSpec,
  parsed: ParsedDockerfile,
  build: ResolvedBuild,
  localKeys: ReadonlyMap<string, string>,
): ImageNode {
  const links: ImageLink[] = [];
  for (const stage of build.stages) {
    const uses = stage.base.kind === 'image' ? [stage.base.use, ...stage.imageUses] : stage.imageUses;
    for (const use of uses) {
      const reference = parseReference(use.reference, use.location);
      links.push({ use, reference, local: localKeys.get(matchKey(reference)) });
    }
  }

  const dependsOn = [...new Set(links.flatMap((link) => (link.local === undefined ? [] : [link.local])))].sort();
  return { spec, dockerfilePath: path.relative(project.root, spec.dockerfile), parsed, build, links, dependsOn };
}

function edgesOf(nodes: ReadonlyMap<string, ImageNode>): Map<string, Edge[]> {
  const edges = new Map<string, Edge[]>();
  for (const [name, node] of nodes) {
    const nodeEdges = node.links.flatMap((link) => (link.local === undefined ? [] : [{ to: link.local, location: link.use.location }]));
    edges.set(name, nodeEdges);
  }
  return edges;
}

function baseFactsOf(
  reference: string,
  localKeys: ReadonlyMap<string, string>,
  resolved: ReadonlyMap<string, ImageNode>,
): BaseImageFacts | undefined {
  let parsed: ImageReference;
  try {
    parsed = parseReference(reference);
  } catch {
    return undefined;
  }

  const name = localKeys.get(matchKey(parsed));
  const base = name === undefined ? undefined : resolved.get(name);
  if (base === undefined) {
    return undefined;
  }

  const target = base.build.stages.find((stage) => stage.index === base.build.targetIndex);
  return target === undefined ? undefined : { env: target.env, onbuild: target.onbuildTriggers };
}
