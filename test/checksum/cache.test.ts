import assert from 'node:assert/strict';
import { it } from 'node:test';

import { CHECKSUM_CACHE_VERSION, ChecksumCache } from '../../src/checksum/cache.js';
import type { ImageChecksum } from '../../src/digest.js';
import { sha256Hex } from '../../src/digest.js';
import { RACY_WINDOW_NS } from '../../src/state-files.js';

const KEY = 'a'.repeat(64);
const CHECKSUM = `sha256:${'b'.repeat(64)}` as ImageChecksum;
const NOW = 10_000_000_000_000n;

function savedCache(): string {
  const cache = new ChecksumCache();
  cache.record('t/a:latest', { localKey: KEY, inputsKey: KEY, checksum: CHECKSUM, newestFileChangeNs: 0n });
  return cache.serialize(NOW).toString('utf8');
}

it('checksum cache round trip', () => {
  const loaded = ChecksumCache.parse(savedCache());
  assert.equal(loaded.rejection, undefined);
  assert.equal(loaded.storedFor('t/a:latest', KEY)?.checksum, CHECKSUM);
  assert.equal(loaded.storedFor('t/a:latest', 'c'.repeat(64)), undefined);
});

it('checksum cache drops racy entries', () => {
  const cache = new ChecksumCache();
  cache.record('t/old:latest', { localKey: KEY, inputsKey: KEY, checksum: CHECKSUM, newestFileChangeNs: NOW - RACY_WINDOW_NS - 1n });
  cache.record('t/new:latest', { localKey: KEY, inputsKey: KEY, checksum: CHECKSUM, newestFileChangeNs: NOW - RACY_WINDOW_NS });
  const loaded = ChecksumCache.parse(cache.serialize(NOW));
  assert.notEqual(loaded.storedFor('t/old:latest', KEY), undefined);
  assert.equal(loaded.storedFor('t/new:latest', KEY), undefined);
});

it('checksum cache saves only changes', () => {
  const loaded = ChecksumCache.parse(savedCache());
  assert.equal(loaded.needsSave, true, 'nothing recorded yet means every image went away');
  loaded.record('t/a:latest', { localKey: KEY, inputsKey: KEY, checksum: CHECKSUM, newestFileChangeNs: 0n });
  assert.equal(loaded.needsSave, false);
  loaded.record('t/a:latest', { localKey: KEY, inputsKey: 'c'.repeat(64), checksum: CHECKSUM, newestFileChangeNs: 0n });
  assert.equal(loaded.needsSave, true);
});

it('checksum cache rejects bad files', () => {
  const good = savedCache();
  const body = good.slice(good.indexOf('\n') + 1);
  const withHeader = (text: string) => `imagesum-checksum-cache ${CHECKSUM_CACHE_VERSION} ${sha256Hex(text)}\n${text}`;
  const cases: [string, string, string][] = [
    ['truncated', good.slice(0, -3), 'checksum mismatch (truncated or damaged)'],
    ['damaged', good.replace(KEY, 'c'.repeat(64)), 'checksum mismatch (truncated or damaged)'],
    ['foreign', 'hello world\n{"entries":[]}', 'not an imagesum checksum cache'],
    ['no header', '{"entries":[]}', 'missing header line'],
    ['other version', `imagesum-checksum-cache ${CHECKSUM_CACHE_VERSION + 1} ${sha256Hex(body)}\n${body}`, `unsupported version ${CHECKSUM_CACHE_VERSION + 1}`],
    ['not JSON', withHeader('{'), 'body has an unexpected shape'],
    ['short key', withHeader(JSON.stringify({ entries: [['t/a:latest', 'ab', KEY, CHECKSUM]] })), 'body has an unexpected shape'],
    ['bad checksum', withHeader(JSON.stringify({ entries: [['t/a:latest', KEY, KEY, 'sha256:zz']] })), 'body has an unexpected shape'],
  ];
  for (const [name, text, rejection] of cases) {
    const cache = ChecksumCache.parse(text);
    assert.equal(cache.rejection, rejection, name);
    assert.equal(cache.storedFor('t/a:latest', KEY), undefined, name);
  }
});
