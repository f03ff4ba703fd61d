import assert from 'node:assert/strict';
import fs, { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import { analyze, checksumGraph, loadGraph, readContexts, stateFolder } from '../../src/analysis.js';
import type { ExternalIdentity } from '../../src/checksum/index.js';
import { RACY_WINDOW_NS } from '../../src/state-files.js';
import { runCli } from '../support/cli.js';
import { makeTree, type TempTree } from '../support/tree.js';

const CONFIG = 'images:\n  - dockerfile: "{name}/Dockerfile"\n    name: t/{name}\n';

/** One image per kind of change, so that each change meets a saved checksum of its own image. */
const FILES = {
  'imagesum.yaml': CONFIG,
  'content/Dockerfile': 'FROM scratch\nCOPY x /x\n',
  'content/x': '1\n',
  'added/Dockerfile': 'FROM scratch\nCOPY dir/ /d/\n',
  'added/dir/old': 'old\n',
  'mode/Dockerfile': 'FROM scratch\nCOPY y /y\n',
  'mode/y': 'y\n',
  'ignored/Dockerfile': 'FROM scratch\nCOPY . /src\n',
  'ignored/.dockerignore': 'junk\n',
  'ignored/junk': 'junk\n',
  'link/Dockerfile': 'FROM scratch\nCOPY l /l\n',
  'link/one': '1\n',
  'link/two': '2\n',
  'link/l': { link: 'one' },
  'child/Dockerfile': 'FROM t/content\n',
  'same/Dockerfile': 'FROM scratch\nCOPY z /z\n',
  'same/z': 'z\n',
  'external/Dockerfile': 'FROM example.com/base:1\nCOPY e /e\n',
  'external/e': 'e\n',
};

/** One context read by two images with different ignore files, so that one run walks it twice. */
const TWICE_WALKED = {
  'imagesum.yaml': 'images:\n  - { dockerfile: d/A.Dockerfile, name: t/a, context: d }\n  - { dockerfile: d/B.Dockerfile, name: t/b, context: d }\n',
  'd/A.Dockerfile': 'FROM scratch\nCOPY f /f\n',
  'd/B.Dockerfile': 'FROM scratch\nCOPY f /f\n',
  'd/B.Dockerfile.dockerignore': 'nothing\n',
  'd/f': '1\n',
};

let tree: TempTree;
let twiceWalked: TempTree;
let proxied: TempTree;
let lateRead: TempTree;
let cacheDir: string;
const emptyCacheDirs: string[] = [];

function checksums(output: string): Map<string, string> {
  return new Map(output.trimEnd().split('\n').map((line) => line.split('  ').reverse() as [string, string]));
}

/** Runs `hash` with the shared state folder, and checks it against a run that starts without any cache. */
function hash(): Map<string, string> {
  const warm = runCli(['-C', tree.root, 'hash'], { env: { IMAGESUM_CACHE_DIR: cacheDir } });
  assert.equal(warm.status, 0, warm.stderr);
  const emptyCacheDir = mkdtempSync(path.join(tmpdir(), 'imagesum-caches-'));
  emptyCacheDirs.push(emptyCacheDir);
  const cold = runCli(['-C', tree.root, 'hash'], { env: { IMAGESUM_CACHE_DIR: emptyCacheDir } });
  assert.equal(warm.stdout, cold.stdout, 'the caches change no checksum');
  return checksums(warm.stdout);
}

function stateFile(name: string, root = tree.root): string {
  // The state folder is named after the project root, below IMAGESUM_CACHE_DIR.
  return path.join(cacheDir, path.basename(stateFolder(root)), name);
}

/** Runs `body` with IMAGESUM_CACHE_DIR set for library calls in this process. */
function withCacheDir<T>(folder: string, body: () => T): T {
  const previous = process.env['IMAGESUM_CACHE_DIR'];
  process.env['IMAGESUM_CACHE_DIR'] = folder;
  try {
    return body();
  } finally {
    if (previous === undefined) {
      delete process.env['IMAGESUM_CACHE_DIR'];
    } else {
      process.env['IMAGESUM_CACHE_DIR'] = previous;
    }
  }
}

function newCacheDir(): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'imagesum-caches-'));
  emptyCacheDirs.push(folder);
  return folder;
}

function checksumOf(root: string, folder: string, name: string): string | undefined {
  return withCacheDir(folder, () => analyze({ cwd: root }).checksums.get(name)?.checksum);
}

describe('caches', () => {
  before(async () => {
    tree = makeTree(FILES);
    twiceWalked = makeTree(TWICE_WALKED);
    lateRead = makeTree(FILES);
    proxied = makeTree({ ...FILES, 'imagesum.yaml': `${CONFIG}args:\n  HTTP_PROXY: http://user:secret@proxy.invalid:3128\n` });
    cacheDir = mkdtempSync(path.join(tmpdir(), 'imagesum-caches-'));
    // Files younger than the racy window are never trusted, so the tree must settle before a save.
    await sleep(Number(RACY_WINDOW_NS / 1_000_000n) + 200);
  });

  after(() => {
    tree.remove();
    twiceWalked.remove();
    lateRead.remove();
    proxied.remove();
    for (const folder of [cacheDir, ...emptyCacheDirs]) {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('reuse keeps the files untouched', () => {
    const first = hash();
    const saved = ['graph-cache.bin', 'checksum-cache.json', 'stat-cache.json'].map((name) => statSync(stateFile(name)).mtimeMs);

    assert.deepEqual(hash(), first);
    const after = ['graph-cache.bin', 'checksum-cache.json', 'stat-cache.json'].map((name) => statSync(stateFile(name)).mtimeMs);
    assert.deepEqual(after, saved, 'a run that reuses everything writes no cache file');
  });

  it('warm run hashes no file', () => {
    withCacheDir(cacheDir, () => {
      // The library's code differs from the bundled command's, so its first run saves its own caches.
      analyze({ cwd: tree.root });
      const { project, graph } = loadGraph({ cwd: tree.root });
      const contexts = readContexts(project, graph, {});
      checksumGraph(project, graph, { contexts });
      assert.equal(contexts.hasher.hashedCount, 0);
      assert.equal(contexts.hasher.cacheLoaded, false, 'the stat cache is not even loaded');
    });
  });

  it('external identities reach checksums', () => {
    withCacheDir(cacheDir, () => {
      const withId = (id: string) => (): ExternalIdentity => ({ kind: 'image-id', reference: 'example.com/base:1', id });
      const first = analyze({ cwd: tree.root, identifyExternal: withId('sha256:1') }).checksums;
      assert.ok(existsSync(stateFile('checksum-cache.json')));
      const again = analyze({ cwd: tree.root, identifyExternal: withId('sha256:1') }).checksums;
      const moved = analyze({ cwd: tree.root, identifyExternal: withId('sha256:2') }).checksums;
      const uncached = analyze({ cwd: tree.root, identifyExternal: withId('sha256:2'), graphCache: false, checksumCache: false }).checksums;

      assert.equal(again.get('t/external:latest')?.checksum, first.get('t/external:latest')?.checksum);
      assert.notEqual(moved.get('t/external:latest')?.checksum, first.get('t/external:latest')?.checksum);
      assert.equal(moved.get('t/external:latest')?.checksum, uncached.get('t/external:latest')?.checksum);
      assert.deepEqual(moved.get('t/external:latest')?.manifest, uncached.get('t/external:latest')?.manifest);
    });
  });

  it('racy context files are not saved', () => {
    hash();
    writeFileSync(path.join(tree.root, 'same/z'), 'Z\n');
    hash();
    const saved = JSON.parse(readFileSync(stateFile('checksum-cache.json'), 'utf8').split('\n')[1] ?? '') as { entries: string[][] };
    const names = saved.entries.map((row) => row[0]);
    assert.ok(names.includes('t/content:latest'), names.join(' '));
    assert.equal(names.includes('t/same:latest'), false, 'a file changed within the racy window is not trusted');
  });

  it('context changes reach checksums', () => {
    const before = hash();
    writeFileSync(path.join(tree.root, 'content/x'), '2\n');
    writeFileSync(path.join(tree.root, 'added/dir/new'), 'new\n');
    chmodSync(path.join(tree.root, 'mode/y'), 0o755);
    writeFileSync(path.join(tree.root, 'ignored/.dockerignore'), 'nothing\n');
    unlinkSync(path.join(tree.root, 'link/l'));
    symlinkSync('two', path.join(tree.root, 'link/l'));

    const changed = hash();
    for (const name of ['content', 'added', 'mode', 'ignored', 'link', 'child']) {
      assert.notEqual(changed.get(`t/${name}:latest`), before.get(`t/${name}:latest`), name);
    }
    assert.equal(changed.get('t/same:latest'), before.get('t/same:latest'));
  });

  it('file changed between two walks', () => {
    const warm = newCacheDir();
    const original = fs.readdirSync;
    const folder = path.join(twiceWalked.root, 'd');
    let walks = 0;
    // The second walk of the shared context reads the file after a change, as in a long run.
    fs.readdirSync = function (this: unknown, ...args: Parameters<typeof original>) {
      if (args[0] === folder && ++walks === 2) {
        writeFileSync(path.join(folder, 'f'), '2\n');
      }
      return original.apply(this, args);
    } as typeof original;
    syncBuiltinESMExports();
    let duringChange: string | undefined;
    try {
      duringChange = checksumOf(twiceWalked.root, warm, 't/b:latest');
    } finally {
      fs.readdirSync = original;
      syncBuiltinESMExports();
    }

    assert.equal(walks, 2);
    const cold = checksumOf(twiceWalked.root, newCacheDir(), 't/b:latest');
    assert.equal(duringChange, cold, 'the second walk hashes the content it saw');
    assert.equal(checksumOf(twiceWalked.root, warm, 't/b:latest'), cold);
  });

  it('late manifest detects a changed file', () => {
    const folder = newCacheDir();
    const options = { cwd: lateRead.root, statCache: false };
    withCacheDir(folder, () => analyze(options));
    const reused = withCacheDir(folder, () => analyze(options)).checksums.get('t/same:latest');
    writeFileSync(path.join(lateRead.root, 'same/z'), 'Z\n');
    assert.throws(() => reused?.manifest, /the build context of t\/same:latest changed while imagesum read it; run the command again/);
  });

  it('proxy args keep no graph or checksum cache', () => {
    const folder = newCacheDir();
    withCacheDir(folder, () => {
      analyze({ cwd: proxied.root });
      const state = stateFolder(proxied.root);
      assert.equal(existsSync(path.join(state, 'graph-cache.bin')), false);
      assert.equal(existsSync(path.join(state, 'checksum-cache.json')), false);
      assert.equal(existsSync(path.join(state, 'stat-cache.json')), true);
    });
  });

  it('Dockerfile edits reach checksums', () => {
    const before = hash();
    writeFileSync(path.join(tree.root, 'same/Dockerfile'), 'FROM scratch\nCOPY z /z2\n');

    const changed = hash();
    assert.notEqual(changed.get('t/same:latest'), before.get('t/same:latest'));
    assert.equal(changed.get('t/external:latest'), before.get('t/external:latest'));
  });
});
