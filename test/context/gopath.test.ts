import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BadPatternError, matchPath } from '../../src/context/gopath.js';

/**
 * Go's own table for `filepath.Match` (path/filepath/match_test.go): pattern, name, and whether it
 * matches or the pattern is malformed. COPY wildcards and ignore patterns rely on every row of it.
 */
const GO_MATCH_TABLE: ReadonlyArray<readonly [string, string, boolean | 'bad']> = [
  ['abc', 'abc', true],
  ['*', 'abc', true],
  ['*c', 'abc', true],
  ['a*', 'a', true],
  ['a*', 'abc', true],
  ['a*', 'ab/c', false],
  ['a*/b', 'abc/b', true],
  ['a*/b', 'a/c/b', false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false],
  ['ab[c]', 'abc', true],
  ['ab[b-d]', 'abc', true],
  ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false],
  ['ab[^e-g]', 'abc', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true],
  ['a[^a]b', 'a☺b', true],
  ['a???b', 'a☺b', false],
  ['a[^a][^a][^a]b', 'a☺b', false],
  ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false],
  ['a?b', 'a/b', false],
  ['a*b', 'a/b', false],
  ['[\\]a]', ']', true],
  ['[\\-]', '-', true],
  ['[x\\-]', 'x', true],
  ['[x\\-]', '-', true],
  ['[x\\-]', 'z', false],
  ['[\\-x]', 'x', true],
  ['[\\-x]', '-', true],
  ['[\\-x]', 'a', false],
  ['[]a]', ']', 'bad'],
  ['[-]', '-', 'bad'],
  ['[x-]', 'x', 'bad'],
  ['[x-]', '-', 'bad'],
  ['[x-]', 'z', 'bad'],
  ['[-x]', 'x', 'bad'],
  ['[-x]', '-', 'bad'],
  ['[-x]', 'a', 'bad'],
  ['\\', 'a', 'bad'],
  ['[a-b-c]', 'a', 'bad'],
  ['[', 'a', 'bad'],
  ['[^', 'a', 'bad'],
  ['[^bc', 'a', 'bad'],
  ['a[', 'a', 'bad'],
  ['a[', 'ab', 'bad'],
  ['a[', 'x', 'bad'],
  ['a/b[', 'x', 'bad'],
  ['*x', 'xxx', true],
];

for (const [pattern, name, expected] of GO_MATCH_TABLE) {
  test(`matchPath(${JSON.stringify(pattern)}, ${JSON.stringify(name)}) is ${String(expected)}`, () => {
    if (expected === 'bad') {
      assert.throws(() => matchPath(pattern, name), BadPatternError);
    } else {
      assert.equal(matchPath(pattern, name), expected);
    }
  });
}

test('matchPath on benchmark wildcards', () => {
  assert.equal(matchPath('*.dict', 'fuzzer.dict'), true);
  assert.equal(matchPath('*.dict', 'fuzzer.dict.bak'), false);
  assert.equal(matchPath('*.dict', '.dict'), true);
  assert.equal(matchPath('*.dict', 'dir/fuzzer.dict'), false);
  assert.equal(matchPath('', ''), true);
  assert.equal(matchPath('', 'a'), false);
});
