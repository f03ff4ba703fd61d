import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { Project } from '../config/types.js';
import type { ImageSpec } from '../config/types.js';
import { parseDockerfile, resolveBuild } from '../dockerfile/index.js';
import type { BaseImageFacts, ParsedDockerfile, ResolvedBuild } from '../dockerfile/types.js';
import { compareCodeUnits } from '../digest.js';
import { ImagesumError, internalError } from '../errors.js';
import { matchKey, parseReference, type ImageReference } from '../reference/index.js';
import { topologicalOrder, type Edge } from './cycles.js';
import type { ImageGraph, ImageLink, ImageNode } from './types.js';

export type { ImageGraph, ImageLink, ImageNode } from './types.js';

export interface BuildGraphOptions {
  /** The engine's platform, such as `linux/amd64`, for the automatic `BUILD*` args. */
  readonly buildPlatform?: string | undefined;
}

/**
 * Reads every Dockerfile of the project and links the images. Each build is resolved once, after the tree
 * images its needed stages start from, so that it reads their ENV and ONBUILD triggers. The order comes
 * from a work stack rather than recursion, because a chain of bases can be longer than the call stack allows.
 */
export function buildGraph(project: Project, options: BuildGraphOptions = {}): ImageGraph {
  const buildPlatform = options.buildPlatform ?? hostPlatform();
  const parsedFiles = new Map<string, ParsedDockerfile>();
  const localKeys = indexLocalNames(project.images);
  const specs = new Map(project.images.map((spec) => [spec.name, spec]));

  const resolved = new Map<string, ImageNode>();
  const waiting = new Set<string>();
  // Sorted names keep the image of a cycle that resolves without its base's facts independent of the config's order.
  const stack = project.images.map((spec) => spec.name).sort(compareCodeUnits).reverse();
  while (stack.length > 0) {
    const name = stack[stack.length - 1] as string;
    if (resolved.has(name)) {
      stack.pop();
      continue;
    }

    const spec = specs.get(name) ?? internalError(`image ${name} is not in the config`);
    const outcome = tryResolve(project, spec, buildPlatform, parsedFiles, localKeys, resolved, waiting);
    if (outcome.kind === 'needs') {
      waiting.add(name);
      stack.push(outcome.base);
      continue;
    }

    waiting.delete(name);
    resolved.set(name, outcome.node);
    stack.pop();
  }

  const order = topologicalOrder(edgesOf(resolved));
  const images = new Map(order.map((name) => [name, resolved.get(name) as ImageNode]));
  return { root: project.root, builder: project.builder, images, order };
}

/** A resolved image, or the tree image it starts from that must be resolved first. */
type ResolveOutcome = { readonly kind: 'resolved'; readonly node: ImageNode } | { readonly kind: 'needs'; readonly base: string };

/** A signal thrown out of the base lookup to stop a resolve whose base is not resolved yet. `tryResolve` catches it. */
class BaseNotResolved {
  constructor(readonly base: string) {}
}

/**
 * Resolves one image when all its tree bases are resolved. The resolver requests only the bases of needed
 * stages, which are the graph's edges, so a base that is itself waiting closes a cycle of edges. The resolve
 * then goes on without that base's facts, and `topologicalOrder` reports the cycle with its path.
 */
function tryResolve(
  project: Project,
  spec: ImageSpec,
  buildPlatform: string,
  parsedFiles: Map<string, ParsedDockerfile>,
  localKeys: ReadonlyMap<string, string>,
  resolved: ReadonlyMap<string, ImageNode>,
  waiting: ReadonlySet<string>,
): ResolveOutcome {
  const baseImage = (reference: string): BaseImageFacts | undefined => {
    const local = localNameOf(reference, localKeys);
    if (local === undefined || local === spec.name || waiting.has(local)) {
      return undefined;
    }
    const base = resolved.get(local);
    if (base === undefined) {
      throw new BaseNotResolved(local);
    }
    return targetFacts(base);
  };

  const parsed = readDockerfile(project, spec, parsedFiles);
  try {
    const build = resolveWithConfigLocation(spec, () => resolveBuild(parsed, resolveOptions(project, spec, buildPlatform, baseImage)));
    return { kind: 'resolved', node: makeNode(project, spec, parsed, build, localKeys) };
  } catch (error) {
    if (error instanceof BaseNotResolved) {
      return { kind: 'needs', base: error.base };
    }
    throw error;
  }
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
  const parsed = parseDockerfile(display, readText(spec, display));
  cache.set(spec.dockerfile, parsed);
  return parsed;
}

function readText(spec: ImageSpec, display: string): string {
  try {
    return readFileSync(spec.dockerfile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ImagesumError('config', `Dockerfile ${display} not found; fix the path or create the file`, spec.definedAt);
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new ImagesumError('config', `cannot read Dockerfile ${display}: ${reason}; check that it is a readable file`, spec.definedAt);
  }
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
  // Images of skipped stages are linked too: they order the builds, though no checksum reads them.
  const stageUses = build.stages.flatMap((stage) => (stage.base.kind === 'image' ? [stage.base.use, ...stage.imageUses] : stage.imageUses));
  for (const use of [...stageUses, ...build.skippedStageImages]) {
    const reference = parseReference(use.reference, use.location);
    links.push({ use, reference, local: localKeys.get(matchKey(reference)) });
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

function localNameOf(reference: string, localKeys: ReadonlyMap<string, string>): string | undefined {
  let parsed: ImageReference;
  try {
    parsed = parseReference(reference);
  } catch {
    return undefined;
  }
  return localKeys.get(matchKey(parsed));
}

/** Returns the facts a child reads from a tree image: those of its target stage. */
function targetFacts(base: ImageNode): BaseImageFacts | undefined {
  const target = base.build.stages.find((stage) => stage.index === base.build.targetIndex);
  return target === undefined ? undefined : { env: target.env, onbuild: target.onbuildTriggers };
}
