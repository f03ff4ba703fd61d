import type { SourceLocation } from '../errors.js';
import type { BuilderKind } from '../dockerfile/types.js';

/** One image the tree defines: what to build, and how. Paths are absolute. */
export interface ImageSpec {
  /** The configured reference with an explicit tag, such as `emu/debian11:latest`. */
  readonly name: string;
  readonly dockerfile: string;
  readonly context: string;
  /** Build args: the config's top-level args overridden by the entry's own. */
  readonly args: Readonly<Record<string, string>>;
  readonly target: string | undefined;
  readonly platform: string | undefined;
  /** The config entry that defines the image, or the Dockerfile itself when it was discovered. */
  readonly definedAt: SourceLocation;
}

/** A problem worth telling the user that does not stop the run. */
export interface Warning {
  readonly message: string;
  readonly location: SourceLocation | undefined;
}

export interface Project {
  /** The folder that relative paths in the config and in output start from. */
  readonly root: string;
  /** The config file, or `undefined` when the images were discovered. */
  readonly configFile: string | undefined;
  readonly builder: BuilderKind;
  readonly images: readonly ImageSpec[];
  readonly warnings: readonly Warning[];
}
