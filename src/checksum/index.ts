import path from 'node:path';

import type { BuildContext } from '../context/types.js';
import { checksumOfCanonical, compareCodeUnits, sha256Hex, type ImageChecksum } from '../digest.js';
import { isProxyArg } from '../dockerfile/index.js';
import type { Instruction, ResolvedStage } from '../dockerfile/types.js';
import { ImagesumError, internalError } from '../errors.js';
import type { ChecksumReuse } from './cache.js';
import type { ImageGraph, ImageLink, ImageNode } from '../graph/types.js';
import { normalizedName, type ImageReference } from '../reference/index.js';
import {
  MANIFEST_VERSION,
  type BaseInputs,
  type ContextReadInputs,
  type ExternalIdentity,
  type ImageInputs,
  type InputManifest,
  type InstructionInputs,
  type StageInputs,
} from './manifest.js';

export * from './manifest.js';

/** An `ADD` source that the text does not pin, and the tree image whose Dockerfile reads it. */
export interface UnverifiableSource {
  readonly source: string;
  /** The base that reads it, or `undefined` when the image itself does. */
  readonly base: string | undefined;
}

/** The checksum of one image and what it was computed from. */
export interface ImageChecksumResult {
  readonly name: string;
  readonly checksum: ImageChecksum;
  readonly manifest: InputManifest;
  /** Sources the text cannot pin, its own and its bases'; an image with any is never reported fresh. */
  readonly unverifiable: readonly UnverifiableSource[];
  /**
   * External images, its own and its bases', known only by reference because the engine lacks them. The
   * builder would use whatever that name resolves to then, so an image with any is never reported fresh.
   */
  readonly unresolvedExternal: readonly UnverifiableSource[];
}

export interface ComputeChecksumsOptions {
  /** Opens the build context of an image; the caller shares walks and file digests between images. */
  readonly openContext: (node: ImageNode) => BuildContext;
  /** Identifies an external image; see `offlineIdentity` for the rule without an engine. */
  readonly identifyExternal: (reference: ImageReference) => ExternalIdentity;
  /** Reuses the checksums of an earlier run whose inputs are unchanged; see `checksumReuse`. */
  readonly reuse?: ChecksumReuse | undefined;
}

/**
 * Computes every image's checksum in dependency order, so each base's checksum is known before its
 * dependents need it. This is a Merkle tree: a change anywhere below an image changes its checksum.
 */
export function computeChecksums(graph: ImageGraph, options: ComputeChecksumsOptions): Map<string, ImageChecksumResult> {
  const results = new Map<string, ImageChecksumResult>();
  const baseChecksum = (base: string): ImageChecksum =>
    // A missing base checksum would silently drop the base from the key, which is the worst failure here.
    (results.get(base) ?? internalError(`checksum of base ${base} is needed before it was computed`)).checksum;

  for (const name of graph.order) {
    const node = graph.images.get(name) ?? internalError(`image ${name} is in the order but not in the graph`);
    const lookup = options.reuse?.find(node, baseChecksum, options.identifyExternal);
    const manifest = lookup?.checksum === undefined ? manifestOf(graph, node, results, options) : undefined;
    const checksum = lookup?.checksum ?? checksumOfCanonical(manifest);
    if (lookup !== undefined) {
      options.reuse?.record(node, lookup, checksum);
    }
    results.set(name, resultOf(graph, node, checksum, manifest, results, options));
  }
  return results;
}

/**
 * Assembles an image's result. A reused checksum comes without its manifest, which is computed when first
 * read, because only `hash --inputs` and the explanations for changed images need it.
 */
function resultOf(
  graph: ImageGraph,
  node: ImageNode,
  checksum: ImageChecksum,
  computed: InputManifest | undefined,
  results: ReadonlyMap<string, ImageChecksumResult>,
  options: ComputeChecksumsOptions,
): ImageChecksumResult {
  const own = node.build.stages.flatMap((stage) => stage.unverifiable.map((input) => ({ source: input.source, base: undefined })));
  const unverifiable = [...own, ...inherited(node, results, (result) => result.unverifiable)];
  const ownUnresolved = unresolvedReferences(node, options.identifyExternal).map((source) => ({ source, base: undefined }));
  const unresolvedExternal = [...ownUnresolved, ...inherited(node, results, (result) => result.unresolvedExternal)];

  let manifest = computed;
  return {
    name: node.spec.name,
    checksum,
    unverifiable,
    unresolvedExternal,
    get manifest(): InputManifest {
      manifest ??= lateManifest(graph, node, checksum, results, options);
      return manifest;
    },
  };
}

/**
 * Computes the manifest of a reused checksum. Its files are hashed now, so a file changed since the context
 * was walked gives a manifest of other inputs, which is raised rather than shown or stored next to the checksum.
 */
function lateManifest(
  graph: ImageGraph,
  node: ImageNode,
  checksum: ImageChecksum,
  results: ReadonlyMap<string, ImageChecksumResult>,
  options: ComputeChecksumsOptions,
): InputManifest {
  const manifest = manifestOf(graph, node, results, options);
  if (checksumOfCanonical(manifest) !== checksum) {
    throw new ImagesumError('context', `the build context of ${node.spec.name} changed while imagesum read it; run the command again`);
  }
  return manifest;
}

/**
 * Collects one kind of doubtful input from the tree images this one builds on. A base that downloads a URL,
 * or starts from an image the engine lacks, can change while its checksum stays the same, so every image
 * built on it is in doubt too.
 */
function inherited(
  node: ImageNode,
  results: ReadonlyMap<string, ImageChecksumResult>,
  pick: (result: ImageChecksumResult) => readonly UnverifiableSource[],
): UnverifiableSource[] {
  return node.dependsOn.flatMap((base) => {
    const result = results.get(base);
    return result === undefined ? [] : pick(result).map((input) => ({ source: input.source, base: input.base ?? base }));
  });
}

/** Lists the external images that the needed stages read and that are identified by reference only. */
function unresolvedReferences(node: ImageNode, identify: (reference: ImageReference) => ExternalIdentity): string[] {
  const names = new Set<string>();
  for (const stage of node.build.stages) {
    const uses = stage.base.kind === 'image' ? [stage.base.use, ...stage.imageUses] : stage.imageUses;
    for (const use of uses) {
      const link = node.links.find((candidate) => candidate.use === use) ?? internalError('an image use has no link in the graph');
      const identity = link.local === undefined ? identify(link.reference) : undefined;
      if (identity?.kind === 'reference') {
        names.add(identity.reference);
      }
    }
  }
  return [...names].sort(compareCodeUnits);
}

/** Identifies an external image without an engine: by its pinned digest, else by its normalised name. */
export function offlineIdentity(reference: ImageReference): ExternalIdentity {
  if (reference.digest !== undefined) {
    return { kind: 'digest', digest: reference.digest };
  }
  return { kind: 'reference', reference: normalizedName(reference) };
}

function proxyArgDigests(buildArgs: Readonly<Record<string, string>>): Record<string, string> {
  const digests: Record<string, string> = {};
  for (const name of Object.keys(buildArgs).filter(isProxyArg).sort(compareCodeUnits)) {
    digests[name] = sha256Hex(buildArgs[name] as string);
  }
  return digests;
}

function manifestOf(
  graph: ImageGraph,
  node: ImageNode,
  results: ReadonlyMap<string, ImageChecksumResult>,
  options: ComputeChecksumsOptions,
): InputManifest {
  const context = node.build.stages.some((stage) => stage.contextReads.length > 0) ? options.openContext(node) : undefined;
  const stages = node.build.stages.map((stage) => stageInputs(stage, node, context, results, options));

  return {
    version: MANIFEST_VERSION,
    builder: graph.builder,
    targetStage: node.build.targetIndex,
    platform: node.spec.platform ?? null,
    escape: node.build.escape,
    proxyArgs: proxyArgDigests(node.spec.args),
    globalArgs: node.build.globalArgs,
    stages,
  };
}

function stageInputs(
  stage: ResolvedStage,
  node: ImageNode,
  context: BuildContext | undefined,
  results: ReadonlyMap<string, ImageChecksumResult>,
  options: ComputeChecksumsOptions,
): StageInputs {
  const imageInput = (link: ImageLink | undefined): ImageInputs => imageInputs(link, results, options);
  const linkFor = (use: unknown) => node.links.find((link) => link.use === use);

  let base: BaseInputs;
  switch (stage.base.kind) {
    case 'scratch':
      base = { kind: 'scratch' };
      break;
    case 'stage':
      base = { kind: 'stage', index: stage.base.index };
      break;
    case 'image':
      base = imageInput(linkFor(stage.base.use));
      break;
  }

  return {
    index: stage.index,
    base,
    instructions: stage.instructions.map(instructionInputs),
    args: stage.args,
    contextReads: stage.contextReads.map((read): ContextReadInputs => ({
      instruction: read.instruction,
      sources: read.wholeContext ? ['.'] : read.sources,
      excludes: read.excludes,
      parents: read.parents,
      entries: (context ?? internalError('context reads without a context')).select(read),
    })),
    images: stage.imageUses.map((use) => imageInput(linkFor(use))),
    unverifiable: stage.unverifiable.map((input) => input.source),
  };
}

function imageInputs(
  link: ImageLink | undefined,
  results: ReadonlyMap<string, ImageChecksumResult>,
  options: ComputeChecksumsOptions,
): ImageInputs {
  if (link === undefined) {
    return internalError('an image use has no link in the graph');
  }

  if (link.local === undefined) {
    return { kind: 'external', identity: options.identifyExternal(link.reference) };
  }

  // A missing base checksum would silently drop the base from the key, which is the worst failure here.
  const base = results.get(link.local) ?? internalError(`checksum of base ${link.local} is needed before it was computed`);
  return { kind: 'local', name: link.local, checksum: base.checksum };
}

/** Instructions whose shell-form arguments the builder splits on any run of whitespace before use. */
const WHITESPACE_SPLIT_KEYWORDS = new Set(['COPY', 'ADD', 'FROM']);

/** Writes `image as Name` as `image AS name`, because the keyword and stage names are case-insensitive. */
function normaliseStageName(text: string): string {
  const words = text.split(' ');
  if (words.length === 3 && words[1]?.toUpperCase() === 'AS') {
    return `${words[0]} AS ${words[2]?.toLowerCase()}`;
  }
  return text;
}

function instructionInputs(instruction: Instruction): InstructionInputs {
  let text = instruction.exec === undefined ? instruction.text : null;
  if (text !== null && WHITESPACE_SPLIT_KEYWORDS.has(instruction.keyword)) {
    // BuildKit's COPY and ADD parsers split the text on whitespace, so `a  /x` and `a /x` are the same copy.
    text = text.trim().split(/\s+/).join(' ');
  }
  if (text !== null && instruction.keyword === 'FROM') {
    text = normaliseStageName(text);
  }

  return {
    keyword: instruction.keyword,
    flags: instruction.flags,
    exec: instruction.exec ?? null,
    text,
    heredocs: instruction.heredocs,
  };
}

/** Formats a path relative to the project root with `/`, as output shows it. */
export function displayPath(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/') || '.';
}
