import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import ignore from '@balena/dockerignore';
import type { Ignore } from '@balena/dockerignore';

import type { BuilderKind } from '../dockerfile/types.js';
import { ImagesumError } from '../errors.js';
import { BadPatternError, cleanPath, validatePattern } from './gopath.js';

/** One pattern of an ignore file after the engine's cleaning, with the line it came from. */
export interface IgnorePattern {
  /** Cleaned pattern text, with a leading `!` for a re-include. */
  readonly text: string;
  readonly line: number;
}

/**
 * Finds the ignore file that applies. BuildKit (with docker CLI 20.10 and later) prefers
 * `<Dockerfile name>.dockerignore` beside the Dockerfile and falls back to `<context>/.dockerignore`.
 * The classic builder reads only `<context>/.dockerignore`. Returns `undefined` when neither exists.
 */
export function findIgnoreFile(contextDir: string, dockerfile: string, builder: BuilderKind): string | undefined {
  if (builder === 'buildkit') {
    const besideDockerfile = join(dirname(dockerfile), `${basename(dockerfile)}.dockerignore`);
    if (existsSync(besideDockerfile)) {
      return besideDockerfile;
    }
  }
  const atRoot = join(contextDir, '.dockerignore');
  return existsSync(atRoot) ? atRoot : undefined;
}

/**
 * Reads an ignore file as the engine's `ignorefile.ReadAll` does: a UTF-8 BOM is dropped, lines split on
 * LF with a trailing CR removed, a line starting with `#` is a comment, blank lines are skipped, and each
 * pattern is trimmed and cleaned with a leading `/` dropped (after any `!`). Raises a 'dockerignore' error
 * with the file and line for an unreadable file or an invalid pattern.
 */
export function readIgnoreFile(file: string): IgnorePattern[] {
  let text: string;
  try {
    if (!statSync(file).isFile()) {
      throw new Error('not a regular file');
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ImagesumError('dockerignore', `cannot read ignore file ${file}: ${reason}; make it a readable file or remove it`);
  }

  if (text.startsWith('\uFEFF')) {
    text = text.slice(1);
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') {
    lines.pop();
  }

  const patterns: IgnorePattern[] = [];
  lines.forEach((rawLine, index) => {
    const lineNumber = index + 1;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.startsWith('#')) {
      return;
    }
    const cleaned = cleanIgnoreLine(line);
    if (cleaned === undefined) {
      return;
    }
    checkIgnorePattern(cleaned, { file, line: lineNumber });
    patterns.push({ text: cleaned, line: lineNumber });
  });
  return patterns;
}

/** Applies the engine's per-line cleaning; returns `undefined` for a blank line. */
export function cleanIgnoreLine(line: string): string | undefined {
  let pattern = line.trim();
  if (pattern === '') {
    return undefined;
  }
  const invert = pattern.startsWith('!');
  if (invert) {
    pattern = pattern.slice(1).trim();
  }
  if (pattern.length > 0) {
    pattern = cleanPath(pattern);
    if (pattern.length > 1 && pattern.startsWith('/')) {
      pattern = pattern.slice(1);
    }
  }
  return invert ? `!${pattern}` : pattern;
}

function checkIgnorePattern(pattern: string, location: { file: string; line: number }): void {
  if (pattern === '!') {
    throw new ImagesumError(
      'dockerignore',
      'invalid pattern "!": an exclusion needs a path after "!"; add the path or delete the line',
      location,
    );
  }
  const body = pattern.startsWith('!') ? pattern.slice(1) : pattern;
  try {
    validatePattern(body);
  } catch (error) {
    if (error instanceof BadPatternError) {
      throw new ImagesumError(
        'dockerignore',
        `invalid pattern ${JSON.stringify(pattern)}: malformed wildcard or character class; fix the brackets or escape them with "\\"`,
        location,
      );
    }
    throw error;
  }
}

/**
 * Decides which context paths the ignore patterns exclude, including the engine's folder pruning:
 * the walk skips an excluded folder unless the cleaned text of some `!` pattern, plus `/`, starts with the
 * folder's path plus `/`. That rule comes from `tonistiigi/fsutil` `Walk` as vendored in dockerd 20.10 and
 * from the classic builder's `archive.TarWithOptions`. Newer fsutil (BuildKit 0.11 and later) walks into
 * every excluded folder when any `!` pattern exists.
 */
export class IgnoreMatcher {
  private readonly matcher: Ignore;
  private readonly exceptionPrefixes: readonly string[];
  private readonly file: string | undefined;

  constructor(patterns: readonly IgnorePattern[], file: string | undefined) {
    // Docker matches case-sensitively on Linux, but the library ignores case by default.
    // The library drops a pattern that starts with `#` as a comment, but the engine keeps one that had
    // leading spaces, so such a pattern is passed with the `#` escaped.
    this.matcher = ignore.default({ ignorecase: false }).add(
      patterns.map((pattern) => (pattern.text.startsWith('#') ? `\\${pattern.text}` : pattern.text)),
    );
    this.exceptionPrefixes = patterns
      .filter((pattern) => pattern.text.startsWith('!'))
      .map((pattern) => `${pattern.text.slice(1)}/`);
    this.file = file;
  }

  get isEmpty(): boolean {
    return this.file === undefined;
  }

  /** Returns whether the patterns exclude one path (relative, `/`-separated), ignoring folder pruning. */
  excludes(path: string): boolean {
    try {
      return this.matcher.ignores(path);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ImagesumError('dockerignore', `cannot match ${JSON.stringify(path)} against ${this.file ?? 'the ignore file'}: ${reason}; simplify the pattern`);
    }
  }

  /** Returns whether the walk must still enter an excluded folder because a `!` pattern names a path in it. */
  entersExcludedFolder(path: string): boolean {
    const folderPrefix = `${path}/`;
    return this.exceptionPrefixes.some((prefix) => prefix.startsWith(folderPrefix));
  }
}
