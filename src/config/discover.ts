import { readdirSync } from 'node:fs';
import path from 'node:path';

import { compareCodeUnits } from '../digest.js';

/** Folders no Dockerfile tree keeps its images in, skipped to keep discovery fast. */
const SKIPPED_FOLDERS = new Set(['.git', 'node_modules']);

export interface DiscoveredDockerfile {
  readonly file: string;
  /** Image name derived from the folder and the file-name suffix, such as `app-dev`. */
  readonly name: string;
}

/**
 * Finds `Dockerfile`, `*.Dockerfile` and `Dockerfile.*` below `root`. Each image is named after its folder,
 * plus the suffix for the variant forms, so `app/Dockerfile.dev` becomes `app-dev`.
 */
export function discoverDockerfiles(root: string): DiscoveredDockerfile[] {
  const found: DiscoveredDockerfile[] = [];
  walk(root, root, found);
  return found.sort((a, b) => compareCodeUnits(a.file, b.file));
}

function walk(root: string, dir: string, found: DiscoveredDockerfile[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const entryPath = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name)) {
        walk(root, entryPath, found);
      }
      continue;
    }

    const variant = dockerfileVariant(entry.name);
    if (variant !== undefined && entry.isFile()) {
      const folder = path.basename(dir === root ? path.resolve(root) : dir);
      found.push({ file: entryPath, name: imageNameFor(folder, variant) });
    }
  }
}

/** Returns the variant suffix of a Dockerfile name ('' for plain `Dockerfile`), or `undefined` for other files. */
function dockerfileVariant(fileName: string): string | undefined {
  if (fileName.endsWith('.dockerignore')) {
    return undefined;
  }
  if (fileName === 'Dockerfile') {
    return '';
  }
  if (fileName.startsWith('Dockerfile.') && fileName.length > 'Dockerfile.'.length) {
    return fileName.slice('Dockerfile.'.length);
  }
  if (fileName.endsWith('.Dockerfile') && fileName.length > '.Dockerfile'.length) {
    return fileName.slice(0, -'.Dockerfile'.length);
  }
  return undefined;
}

/** Builds a valid repository name: lower case, with runs of other characters turned into `-`. */
function imageNameFor(folder: string, variant: string): string {
  const raw = variant === '' ? folder : `${folder}-${variant}`;
  const cleaned = raw
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return cleaned === '' ? 'image' : cleaned;
}
