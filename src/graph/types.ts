import type { ImageSpec } from '../config/types.js';
import type { BuilderKind, ImageUse, ParsedDockerfile, ResolvedBuild } from '../dockerfile/types.js';
import type { ImageReference } from '../reference/index.js';

/** One image reference a build reads, matched against the images the tree defines. */
export interface ImageLink {
  readonly use: ImageUse;
  readonly reference: ImageReference;
  /** Name of the tree's image it names, or `undefined` for an external image. */
  readonly local: string | undefined;
}

/** An image of the tree with what its build reads. */
export interface ImageNode {
  readonly spec: ImageSpec;
  /** Dockerfile path relative to the project root, as output shows it. */
  readonly dockerfilePath: string;
  readonly parsed: ParsedDockerfile;
  readonly build: ResolvedBuild;
  readonly links: readonly ImageLink[];
  /** Names of the tree's images this one builds on, sorted and without repeats. */
  readonly dependsOn: readonly string[];
}

export interface ImageGraph {
  readonly root: string;
  /** The builder every image of this run is built with. */
  readonly builder: BuilderKind;
  readonly images: ReadonlyMap<string, ImageNode>;
  /** Image names with every dependency before its dependents; ties broken by name, so output is stable. */
  readonly order: readonly string[];
  /**
   * Digest of everything the graph was built from: the config as loaded, the build platform, the code and
   * every Dockerfile's stat key. Set only when every Dockerfile was older than the racy window, because caches
   * of what is computed from the graph key on it. See `buildGraphCached`.
   */
  readonly inputsDigest?: string | undefined;
}
