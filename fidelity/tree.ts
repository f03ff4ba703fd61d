import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { stringify as toYaml } from 'yaml';

import { CASE_PLACEHOLDER, type CaseState, type ImageSpec } from './cases.js';

/** The folder below a case folder that contains the case's tree; `imagesum.yaml` sits beside it, outside every context. */
export const TREE_FOLDER = 'tree';

/** Replaces the case placeholder in a file's content or an image name. */
export function substitute(text: string, caseTag: string): string {
  return text.split(CASE_PLACEHOLDER).join(caseTag);
}

function substitutedArgs(args: Readonly<Record<string, string>>, caseTag: string): Record<string, string> {
  return Object.fromEntries(Object.entries(args).map(([name, value]) => [name, substitute(value, caseTag)]));
}

/** Returns the image spec with its name, Dockerfile and context resolved for one case folder. */
export function resolvedImage(image: ImageSpec, caseDir: string, caseTag: string): ImageSpec {
  return {
    ...image,
    name: substitute(image.name, caseTag),
    args: substitutedArgs(image.args, caseTag),
    dockerfile: path.join(caseDir, TREE_FOLDER, image.dockerfile),
    context: path.join(caseDir, TREE_FOLDER, image.context),
  };
}

/**
 * Writes a case state to `caseDir`: the tree below `tree/`, and an `imagesum.yaml` that lists the images
 * with their args and targets. Removes whatever an earlier state left there first.
 */
export function writeState(state: CaseState, caseDir: string, caseTag: string): void {
  const treeDir = path.join(caseDir, TREE_FOLDER);
  rmSync(treeDir, { recursive: true, force: true });
  mkdirSync(treeDir, { recursive: true });

  const entries = [...state.tree].sort(byPath);
  for (const [entryPath, entry] of entries) {
    const target = path.join(treeDir, entryPath);
    mkdirSync(path.dirname(target), { recursive: true });
    if (entry.type === 'file') {
      writeFileSync(target, substitute(entry.content, caseTag));
      chmodSync(target, entry.mode);
    } else if (entry.type === 'symlink') {
      symlinkSync(entry.target, target);
    } else {
      mkdirSync(target, { recursive: true });
    }
  }
  // Folder modes go last, so a folder without write permission does not block the files below it.
  for (const [entryPath, entry] of entries.reverse()) {
    if (entry.type === 'directory') {
      chmodSync(path.join(treeDir, entryPath), entry.mode);
    }
  }

  const config = {
    images: state.images.map((image) => ({
      dockerfile: path.posix.join(TREE_FOLDER, image.dockerfile),
      name: substitute(image.name, caseTag),
      context: path.posix.join(TREE_FOLDER, image.context),
      ...(Object.keys(image.args).length > 0 ? { args: substitutedArgs(image.args, caseTag) } : {}),
      ...(image.target !== undefined ? { target: image.target } : {}),
    })),
  };
  writeFileSync(path.join(caseDir, 'imagesum.yaml'), toYaml(config));
}

/** Returns a key that is equal for two states exactly when they write the same tree and image specs. */
export function stateKey(state: CaseState): string {
  const tree = [...state.tree].sort(byPath);
  return createHash('sha256').update(JSON.stringify({ tree, images: state.images })).digest('hex');
}

function byPath([a]: [string, unknown], [b]: [string, unknown]): number {
  if (a === b) {
    return 0;
  }
  return a < b ? -1 : 1;
}
