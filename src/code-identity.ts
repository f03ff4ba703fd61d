import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Script files, without TypeScript declarations, which hold no code. */
const CODE_FILE = /^(?!.*\.d\.ts$).*\.(?:js|mjs|cjs|ts)$/;

/**
 * SHA-256 of the code that is running: every script file in this module's folder and below it, by relative
 * path. In the bundled command that folder contains all the chunks. Compiled with tsc or run from sources, this
 * module sits at the top of the tree, so the folder contains every module. It is computed when the module loads,
 * so that a process that keeps running while the files are replaced (an upgrade) keeps the digest of the code
 * it loaded. `undefined` when the files cannot be read, for example while they are being replaced.
 *
 * Caches of data that code derives (the graph cache) are keyed on it. A version number would miss a change
 * made without a release, and data derived by other code must never be reused.
 */
const digest = digestOfCodeFiles();

export function codeDigest(): string | undefined {
  return digest;
}

function digestOfCodeFiles(): string | undefined {
  try {
    const root = path.dirname(fileURLToPath(import.meta.url));
    const hash = createHash('sha256');
    for (const file of codeFiles(root, '')) {
      hash.update(`${file}\0`);
      hash.update(readFileSync(path.join(root, file)));
      hash.update('\0');
    }
    return hash.digest('hex');
  } catch {
    return undefined;
  }
}

function codeFiles(root: string, folder: string): string[] {
  const files: string[] = [];
  const entries = readdirSync(path.join(root, folder), { withFileTypes: true });
  entries.sort((a, b) => compareNames(a.name, b.name));
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

function compareNames(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  return a < b ? -1 : 1;
}
