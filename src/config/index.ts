import { statSync } from 'node:fs';
import path from 'node:path';

import { ImagesumError, type SourceLocation } from '../errors.js';
import type { BuilderKind } from '../dockerfile/types.js';
import { matchKey, parseReference } from '../reference/index.js';
import { discoverDockerfiles } from './discover.js';
import { findConfigFile, readConfigFile, type ConfigFile, type ImageEntry } from './load.js';
import { expandPattern, fillTemplate } from './patterns.js';
import type { ImageSpec, Project, Warning } from './types.js';

export type { ImageSpec, Project, Warning } from './types.js';
export { DEFAULT_CONFIG_NAME } from './load.js';

export interface LoadProjectOptions {
  /** The folder the run starts in (`-C`). */
  readonly cwd: string;
  /** `--config FILE`, relative to `cwd`. */
  readonly configFile?: string | undefined;
  /** `--builder`, which overrides the config's `builder`. */
  readonly builder?: BuilderKind | undefined;
}

/** The builder imagesum assumes when neither the config nor the command line names one. */
export const DEFAULT_BUILDER: BuilderKind = 'buildkit';

/** Reads the config (or discovers Dockerfiles without one) and lists the images of the tree. */
export function loadProject(options: LoadProjectOptions): Project {
  const cwd = path.resolve(options.cwd);
  if (!isFolder(cwd)) {
    throw new ImagesumError('usage', `folder ${options.cwd} not found; -C takes an existing folder`);
  }

  const configFile = findConfigFile(cwd, options.configFile);
  if (configFile === undefined) {
    return discoverProject(cwd, options.builder);
  }

  const root = path.dirname(configFile);
  const config = readConfigFile(configFile, path.relative(cwd, configFile) || path.basename(configFile));
  const warnings: Warning[] = [];
  const images = config.images.flatMap((entry) => expandEntry(root, config, entry, warnings));
  checkUniqueNames(images, root);

  return {
    root,
    configFile,
    builder: options.builder ?? config.builder ?? DEFAULT_BUILDER,
    images,
    warnings,
  };
}

function discoverProject(root: string, builder: BuilderKind | undefined): Project {
  const images = discoverDockerfiles(root).map((found): ImageSpec => {
    const definedAt = { file: path.relative(root, found.file), line: 1 };
    return {
      name: withExplicitTag(found.name, definedAt),
      dockerfile: found.file,
      context: path.dirname(found.file),
      args: {},
      target: undefined,
      platform: undefined,
      definedAt,
    };
  });
  checkUniqueNames(images, root);

  const warnings: Warning[] =
    images.length === 0
      ? [{ message: 'no imagesum.yaml and no Dockerfile found below this folder', location: undefined }]
      : [];
  return { root, configFile: undefined, builder: builder ?? DEFAULT_BUILDER, images, warnings };
}

function expandEntry(root: string, config: ConfigFile, entry: ImageEntry, warnings: Warning[]): ImageSpec[] {
  const matches = expandPattern(root, entry.dockerfile, entry.location);
  if (matches.length === 0 && !entry.dockerfile.includes('{')) {
    throw new ImagesumError('config', `Dockerfile ${entry.dockerfile} not found; fix the path or create the file`, entry.location);
  }
  if (matches.length === 0) {
    warnings.push({ message: `dockerfile pattern ${JSON.stringify(entry.dockerfile)} matches no file`, location: entry.location });
  }

  const checkedFolders = new Set<string>();
  return matches.map((match): ImageSpec => {
    const name = fillTemplate(entry.name, match.captures, 'name', entry.location);
    // Finding the Dockerfile proved its folder exists, so only a context written in the entry is checked.
    let context = path.dirname(match.file);
    if (entry.context !== undefined) {
      context = path.resolve(root, fillTemplate(entry.context, match.captures, 'context', entry.location));
      checkContextFolder(context, root, entry.location, checkedFolders);
    }

    return {
      name: withExplicitTag(name, entry.location),
      dockerfile: match.file,
      context,
      args: { ...config.args, ...entry.args },
      target: entry.target,
      platform: entry.platform,
      definedAt: entry.location,
    };
  });
}

function checkContextFolder(context: string, root: string, location: SourceLocation, checked: Set<string>): void {
  if (checked.has(context)) {
    return;
  }
  if (!isFolder(context)) {
    throw new ImagesumError('config', `context folder ${path.relative(root, context) || '.'} not found; fix context or create the folder`, location);
  }
  checked.add(context);
}

function isFolder(candidate: string): boolean {
  try {
    return statSync(candidate, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    return false;
  }
}

/** Validates an image name and gives it an explicit tag, so `emu/debian11` reads `emu/debian11:latest`. */
function withExplicitTag(name: string, location: SourceLocation): string {
  const reference = parseReference(name, location);
  if (reference.digest !== undefined) {
    throw new ImagesumError('config', `image name ${name} has a digest; a built image is named by repository and tag only`, location);
  }
  return reference.tag === undefined ? `${name}:latest` : name;
}

function checkUniqueNames(images: readonly ImageSpec[], root: string): void {
  const byName = new Map<string, ImageSpec>();
  for (const image of images) {
    const key = matchKey(parseReference(image.name, image.definedAt));
    const other = byName.get(key);
    if (other !== undefined) {
      throw new ImagesumError(
        'config',
        `image name ${image.name} is defined twice, by ${path.relative(root, other.dockerfile)} and ${path.relative(root, image.dockerfile)}; give each image its own name`,
        image.definedAt,
      );
    }
    byName.set(key, image);
  }
}
