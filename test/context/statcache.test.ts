import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { fileDigestOf } from '../../src/digest.js';
import { createFileHasher, loadStatCache, saveStatCache, StatCache, STAT_CACHE_VERSION } from '../../src/context/index.js';
import { RACY_WINDOW_NS, statKeyOf } from '../../src/context/statcache.js';
import { makeTree, removeTree } from './helpers.js';

/**
 * Writes the cache as if saved a minute from now, so files changed in this test count as safely older
 * than the write. `saveStatCache` measures from the current time, so it leaves them out as racy.
 */
function saveAsIfLater(cache: StatCache, file: string): void {
  writeFileSync(file, cache.serialize(BigInt(Date.now() + 60_000) * 1_000_000n));
}

/**
 * Runs `body` on a tree holding a.txt, after one run hashed it and saved the cache with `save`. The tree is
 * removed afterwards.
 */
function afterFirstRun(save: (cache: StatCache, file: string) => void, body: (file: string, cacheFile: string, root: string) => void): void {
  const root = makeTree({ 'a.txt': 'alpha' });
  try {
    const file = join(root, 'a.txt');
    const cacheFile = join(root, 'cache');
    const first = createFileHasher(loadStatCache(cacheFile));
    assert.equal(first.hashFile(file), fileDigestOf('alpha'));
    save(first.cache, cacheFile);
    body(file, cacheFile, root);
  } finally {
    removeTree(root);
  }
}

test('stat cache round trip reuses digest', () => {
  afterFirstRun(saveAsIfLater, (file, cacheFile, root) => {
    const second = createFileHasher(loadStatCache(cacheFile));
    assert.equal(second.hashFile(file), fileDigestOf('alpha'));
    assert.equal(second.hashedCount, 0);
    assert.deepEqual(readdirSync(root).sort(), ['a.txt', 'cache']);
  });
});

test('stat cache rehashes changed file', () => {
  afterFirstRun(saveAsIfLater, (file, cacheFile) => {
    writeFileSync(file, 'beta!');
    const second = createFileHasher(loadStatCache(cacheFile));
    assert.equal(second.hashFile(file), fileDigestOf('beta!'));
    assert.equal(second.hashedCount, 1);
  });
});

test('stat cache rehashes racy entry', () => {
  afterFirstRun(saveStatCache, (file, cacheFile) => {
    // The file was written just before the cache, so a same-size rewrite could keep its timestamps.
    const second = createFileHasher(loadStatCache(cacheFile));
    second.hashFile(file);
    assert.equal(second.hashedCount, 1);
    // Hashed again, it must be saved this time to become trusted.
    assert.equal(second.cache.needsSave, true);
  });
});

test('stat cache ignores damaged files', async (t) => {
  const root = makeTree({ 'a.txt': 'alpha' });
  try {
    const file = join(root, 'a.txt');
    const cacheFile = join(root, 'cache');
    const hasher = createFileHasher(loadStatCache(cacheFile));
    hasher.hashFile(file);
    saveAsIfLater(hasher.cache, cacheFile);
    const good = readFileSync(cacheFile, 'utf8');
    assert.equal(loadStatCache(cacheFile).size, 1);
    assert.equal(loadStatCache(cacheFile).rejection, undefined);
    assert.deepEqual(readdirSync(root).sort(), ['a.txt', 'cache']);

    const damaged: Array<[string, string]> = [
      ['truncated', good.slice(0, good.length - 10)],
      ['corrupt body', good.replace(fileDigestOf('alpha'), fileDigestOf('other'))],
      ['foreign version', good.replace(`imagesum-stat-cache ${STAT_CACHE_VERSION} `, 'imagesum-stat-cache 999 ')],
      ['bad stat key', withValidChecksum(good.slice(good.indexOf('\n') + 1).replace(/"[0-9]+:/, '"-1:'))],
      ['foreign file', 'hello world\n{}'],
      ['empty', ''],
    ];
    for (const [name, text] of damaged) {
      await t.test(name, () => {
        writeFileSync(cacheFile, text);
        const cache = loadStatCache(cacheFile);
        assert.equal(cache.size, 0);
        assert.notEqual(cache.rejection, undefined);

        const fresh = createFileHasher(cache);
        assert.equal(fresh.hashFile(file), fileDigestOf('alpha'));
        assert.equal(fresh.hashedCount, 1);
      });
    }
  } finally {
    removeTree(root);
  }
});

/** Returns the body with the header a save would write, so that only its shape can be rejected. */
function withValidChecksum(body: string): string {
  return `imagesum-stat-cache ${STAT_CACHE_VERSION} ${fileDigestOf(body)}\n${body}`;
}

test('stat cache rejects valid checksum bad shape', () => {
  const rows: unknown[][] = [
    ['relative', '1:1:1:1', 'a'.repeat(64)],
    ['/abs', '1:1:1', 'a'.repeat(64)],
    ['/abs', '1:1:1:1', 'zz'],
    ['/abs', '1:1:1:1'],
  ];
  for (const row of rows) {
    const cache = StatCache.parse(withValidChecksum(JSON.stringify({ entries: [row] })));
    assert.equal(cache.size, 0, JSON.stringify(row));
    assert.equal(cache.rejection, 'body has an unexpected shape');
  }
});

test('stat cache keeps pre-1970 files', () => {
  const root = makeTree({ 'a.txt': 'alpha', 'old.txt': 'old' });
  try {
    const cacheFile = join(root, 'cache');
    utimesSync(join(root, 'old.txt'), new Date('1960-01-01T00:00:00Z'), new Date('1960-01-01T00:00:00Z'));
    const first = createFileHasher(loadStatCache(cacheFile));
    first.hashFile(join(root, 'a.txt'));
    first.hashFile(join(root, 'old.txt'));
    saveAsIfLater(first.cache, cacheFile);

    const loaded = loadStatCache(cacheFile);
    assert.equal(loaded.rejection, undefined);
    assert.equal(loaded.size, 2);
  } finally {
    removeTree(root);
  }
});

test('stat cache saves no racy entry', () => {
  const root = makeTree({ 'a.txt': 'alpha' });
  try {
    const hasher = createFileHasher(loadStatCache(join(root, 'cache')));
    hasher.hashFile(join(root, 'a.txt'));
    const mtimeNs = statSync(join(root, 'a.txt'), { bigint: true }).mtimeNs;

    assert.equal(StatCache.parse(hasher.cache.serialize(mtimeNs + RACY_WINDOW_NS)).size, 0);
    assert.equal(StatCache.parse(hasher.cache.serialize(mtimeNs + RACY_WINDOW_NS + 60_000_000_000n)).size, 1);
  } finally {
    removeTree(root);
  }
});

test('hasher memoises per path', () => {
  const root = makeTree({ 'a.txt': 'alpha' });
  try {
    const file = join(root, 'a.txt');
    const hasher = createFileHasher();
    hasher.hashFile(file);
    hasher.hashFile(file);
    assert.equal(hasher.hashedCount, 1);
  } finally {
    removeTree(root);
  }
});

test('hasher reads large file', () => {
  const root = makeTree({});
  try {
    const file = join(root, 'big.bin');
    const data = Buffer.alloc(9 * 1024 * 1024 + 123, 7);
    writeFileSync(file, data);
    assert.equal(statSync(file).size, data.length);
    assert.equal(createFileHasher().hashFile(file), fileDigestOf(data));
  } finally {
    removeTree(root);
  }
});

test('stat cache saves only after changes', () => {
  assert.equal(new StatCache().needsSave, true);
  afterFirstRun(saveAsIfLater, (file, cacheFile) => {
    const hit = createFileHasher(loadStatCache(cacheFile));
    hit.hashFile(file);
    assert.equal(hit.cache.needsSave, false);

    writeFileSync(file, 'beta!');
    const miss = createFileHasher(loadStatCache(cacheFile));
    miss.hashFile(file);
    assert.equal(miss.cache.needsSave, true);
  });
});

test('hasher rechecks a stale known stat', () => {
  afterFirstRun(saveAsIfLater, (file, cacheFile) => {
    const stats = statSync(file, { bigint: true });
    const staleKey = { size: stats.size, mtimeNs: stats.mtimeNs - 1n, ctimeNs: stats.ctimeNs, ino: stats.ino };
    const second = createFileHasher(loadStatCache(cacheFile));
    assert.equal(second.hashFile(file, staleKey), fileDigestOf('alpha'));
    // The open file's own stat matches the cached entry, so the bytes are not read.
    assert.equal(second.hashedCount, 0);
  });
});

test('hasher rehashes per stat key', () => {
  const root = makeTree({ 'a.txt': 'alpha' });
  try {
    const file = join(root, 'a.txt');
    const hasher = createFileHasher();
    const before = statKeyOf(statSync(file, { bigint: true }));
    assert.equal(hasher.hashFile(file, before), fileDigestOf('alpha'));

    // A second walk of the same file after a change passes the new stat key and must get the new digest.
    writeFileSync(file, 'gamma');
    const after = statKeyOf(statSync(file, { bigint: true }));
    assert.equal(hasher.hashFile(file, after), fileDigestOf('gamma'));
    assert.equal(hasher.hashFile(file, before), fileDigestOf('alpha'), 'each stat key keeps its own digest');
    assert.equal(hasher.hashedCount, 2);
  } finally {
    removeTree(root);
  }
});
