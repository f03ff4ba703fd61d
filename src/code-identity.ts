import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Script files, without TypeScript declarations, which hold no code. */
const CODE_FILE = /^(?!.*\.d\.ts$).*\.(?:js|mjs|cjs|ts)$/;

let digest: string | undefined;

/**
 * Returns the SHA-256 of the code that is running: every script file in this module's folder and below it,
 * by relative path. In the bundled command that folder holds all the chunks; compiled with tsc or run from
 * sources, this module sits at the top of the tree, so the folder holds every module.
 *
 * Caches of data that code derives (the graph cache) are keyed on it. A version number would miss a change
 * made without a release, and data derived by other code must never be reused.
 */
export function codeDigest(): string {
  if (digest === undefined) {
    const root = path.dirname(fileURLToPath(import.meta.url));
    const hash = createHash('sha256');
    for (const file of codeFiles(root, '')) {
      hash.update(`${file}\0`);
      hash.update(readFileSync(path.join(root, file)));
      hash.update('\0');
    }
    digest = hash.digest('hex');
  }
  return digest;
}

function codeFiles(root: string, folder: string): string[] {
  const files: string[] = [];
  const entries = readdirSync(path.join(root, folder), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const relative = folder === '' ? entry.name : `${folder}/${entry.name}`;
    if (entry.isDirectory() && entry.name !== 'node_modules') {
      files.push(...codeFiles(root, relative));
    } else if (entry.isFile() && CODE_FILE.test(entry.name)) {
      files.push(relative);
    }
  }
  return files;
}
