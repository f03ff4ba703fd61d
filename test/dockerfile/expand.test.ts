import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ExpansionError, expandWord } from '../../src/dockerfile/index.js';
import type { VariableLookup } from '../../src/dockerfile/index.js';

const VARIABLES: Readonly<Record<string, string>> = { SET: 'foo/bar/boo', EMPTY: '', X: 'x', SPACED: 'a  b' };

const lookup: VariableLookup = (name) =>
  Object.hasOwn(VARIABLES, name) ? { kind: 'set', value: VARIABLES[name] as string } : { kind: 'unset' };

function expand(text: string, escape = '\\'): string {
  return expandWord(text, { escape, lookup }).word;
}

test('variable forms expand as lex.go', () => {
  const cases: [string, string][] = [
    ['$X', 'x'],
    ['${X}y', 'xy'],
    ['$UNSET-', '-'],
    ['${UNSET:-d}', 'd'],
    ['${EMPTY:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${UNSET-d}', 'd'],
    ['${X:+y}', 'y'],
    ['${EMPTY:+y}', ''],
    ['${EMPTY+y}', 'y'],
    ['${UNSET+y}', ''],
    ['${SET#*/}', 'bar/boo'],
    ['${SET##*/}', 'boo'],
    ['${SET%/*}', 'foo/bar'],
    ['${SET%%/*}', 'foo'],
    ['${SET/o/0}', 'f0o/bar/boo'],
    ['${SET//o/0}', 'f00/bar/b00'],
    ['${SET/#/x}', 'foo/bar/boo'],
    ['${X:-$SET}', 'x'],
    ['${UNSET:-${X}z}', 'xz'],
    ['$', '$'],
    ['a$', 'a$'],
    ['$1', ''],
  ];

  for (const [text, expected] of cases) {
    assert.equal(expand(text), expected, text);
  }
});

test('quotes and escapes as lex.go', () => {
  const cases: [string, string, string?][] = [
    ["'$X'", '$X'],
    ['"$X"', 'x'],
    ['"a\\"b"', 'a"b'],
    ['"a\\nb"', 'a\\nb'],
    ['\\$X', '$X'],
    ['a\\ b', 'a b'],
    ['a\\', 'a'],
    ['"$SPACED"', 'a  b'],
    ['`$X', '$X', '`'],
    ['a\\b', 'a\\b', '`'],
  ];

  for (const [text, expected, escape] of cases) {
    assert.equal(expand(text, escape), expected, text);
  }
});

test('words split after expansion', () => {
  const result = expandWord('a "b c" $SPACED', { escape: '\\', lookup });

  assert.deepEqual(result.words, ['a', 'b c', 'a', 'b']);
  assert.deepEqual([...result.matched], ['SPACED']);
});

test('expansion errors', () => {
  const cases: [string, string][] = [
    ['${UNSET:?}', 'UNSET: is not allowed to be unset'],
    ['${EMPTY:?must be set}', 'EMPTY: must be set'],
    ['${UNSET?}', 'UNSET: is not allowed to be unset'],
    ['${', "syntax error: missing '}'"],
    ['${X:-a', "syntax error: missing '}'"],
    ['${X', 'unsupported modifier (\uFFFD) in substitution'],
    ['${}', 'syntax error: bad substitution'],
    ['${X:=y}', 'unsupported modifier (:=) in substitution'],
    ['${X:#y}', 'unsupported modifier (:#) in substitution'],
    ["'abc", 'unexpected end of statement while looking for matching single-quote'],
    ['"abc', 'unexpected end of statement while looking for matching double-quote'],
  ];

  for (const [text, message] of cases) {
    assert.throws(() => expand(text), new ExpansionError(message), text);
  }
  assert.equal(expand('${EMPTY?}'), '');
});

test('unknown variables are reported', () => {
  const result = expandWord('${BASE_ENV:?}/$X', {
    escape: '\\',
    lookup: (name) => (name === 'X' ? { kind: 'set', value: 'x' } : { kind: 'unknown' }),
  });

  assert.equal(result.word, '/x');
  assert.deepEqual([...result.unknown], ['BASE_ENV']);
});

test('plain words split as processed words', () => {
  // Text without `$`, quotes or escapes takes a shortcut, which must split exactly where processing does.
  const spaces = ' \t\u00a0\u3000 ';
  const plain = expandWord(`a${spaces}b/c${spaces}`, { escape: '\\', lookup });
  const processed = expandWord(`a${spaces}b/c\${UNSET}${spaces}`, { escape: '\\', lookup });
  assert.deepEqual(plain.words, ['a', 'b/c']);
  assert.deepEqual(processed.words, ['a', 'b/c']);
  assert.equal(plain.word, `a${spaces}b/c${spaces}`);
  assert.equal(plain.unmatched.size, 0);
});
