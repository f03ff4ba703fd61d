import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { compareCodeUnits } from '../digest.js';
import { ImagesumError, type SourceLocation } from '../errors.js';

/**
 * A `dockerfile` pattern such as `images/{name}/{tag}.Dockerfile`. Each `{x}` matches one or more characters
 * inside one path segment, and the captured values fill the same placeholders in `name` and `context`.
 */
export interface PatternMatch {
  readonly file: string;
  readonly captures: Readonly<Record<string, string>>;
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

interface SegmentMatcher {
  readonly literal: string | undefined;
  readonly regex: RegExp | undefined;
  readonly names: readonly string[];
}

/** Lists the files below `root` that match `pattern`, sorted by path. */
export function expandPattern(root: string, pattern: string, location: SourceLocation): PatternMatch[] {
  const segments = compilePattern(pattern, location);
  const matches: PatternMatch[] = [];
  walkSegments(root, '', segments, {}, matches);
  return matches.sort((a, b) => compareCodeUnits(a.file, b.file));
}

/** Substitutes `{x}` placeholders in a `name` or `context` template. */
export function fillTemplate(
  template: string,
  captures: Readonly<Record<string, string>>,
  key: string,
  location: SourceLocation,
): string {
  return template.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = captures[name];
    if (value === undefined) {
      throw new ImagesumError(
        'config',
        `${key} uses {${name}}, but the dockerfile pattern has no such placeholder; add {${name}} to dockerfile or remove it`,
        location,
      );
    }
    return value;
  });
}

function compilePattern(pattern: string, location: SourceLocation): SegmentMatcher[] {
  if (pattern === '' || path.isAbsolute(pattern)) {
    throw new ImagesumError('config', `dockerfile must be a path relative to the config folder, not ${JSON.stringify(pattern)}`, location);
  }

  const segments = pattern.split('/').filter((segment) => segment !== '' && segment !== '.');
  return segments.map((segment) => compileSegment(segment, pattern, location));
}

function compileSegment(segment: string, pattern: string, location: SourceLocation): SegmentMatcher {
  if (segment === '..') {
    throw new ImagesumError('config', `dockerfile pattern ${JSON.stringify(pattern)} leaves the config folder with '..'; move the config up instead`, location);
  }

  const names: string[] = [];
  let source = '';
  let last = 0;
  for (const match of segment.matchAll(PLACEHOLDER)) {
    source += escapeRegex(segment.slice(last, match.index));
    source += '(.+)';
    names.push(match[1] as string);
    last = (match.index ?? 0) + match[0].length;
  }
  const rest = segment.slice(last);
  if (rest.includes('{') || rest.includes('}') || source === '' && /[{}]/.test(segment)) {
    throw new ImagesumError('config', `invalid placeholder in dockerfile pattern ${JSON.stringify(pattern)}; write {name} with letters, digits and _`, location);
  }
  source += escapeRegex(rest);

  if (names.length === 0) {
    return { literal: segment, regex: undefined, names };
  }
  return { literal: undefined, regex: new RegExp(`^${source}$`, 's'), names };
}

function walkSegments(
  dir: string,
  relative: string,
  segments: readonly SegmentMatcher[],
  captures: Readonly<Record<string, string>>,
  matches: PatternMatch[],
): void {
  const [segment, ...rest] = segments;
  if (segment === undefined) {
    return;
  }

  // A literal segment names one entry, and one lstat is cheaper than listing a folder of 1,000 projects.
  const entries = segment.literal === undefined ? listDirectory(dir) : namedEntry(dir, segment.literal);
  for (const entry of entries) {
    const entryCaptures = matchSegment(segment, entry.name, captures);
    if (entryCaptures === undefined) {
      continue;
    }

    const entryPath = path.join(dir, entry.name);
    const entryRelative = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (rest.length === 0) {
      if (entry.isFile() || entry.isSymbolicLink()) {
        matches.push({ file: entryPath, captures: entryCaptures });
      }
    } else if (entry.isDirectory()) {
      walkSegments(entryPath, entryRelative, rest, entryCaptures, matches);
    }
  }
}

function matchSegment(
  segment: SegmentMatcher,
  name: string,
  captures: Readonly<Record<string, string>>,
): Record<string, string> | undefined {
  if (segment.literal !== undefined) {
    return segment.literal === name ? { ...captures } : undefined;
  }

  const match = segment.regex?.exec(name);
  if (!match) {
    return undefined;
  }

  // The same placeholder twice in one pattern must capture the same text in both places.
  const result: Record<string, string> = { ...captures };
  for (const [i, placeholder] of segment.names.entries()) {
    const value = match[i + 1] as string;
    if (value.includes('/') || (result[placeholder] !== undefined && result[placeholder] !== value)) {
      return undefined;
    }
    result[placeholder] = value;
  }
  return result;
}

/** The facts the walk reads from a folder entry, which both a `Dirent` and `Stats` provide. */
interface EntryFacts {
  readonly name: string;
  isFile(): boolean;
  isSymbolicLink(): boolean;
  isDirectory(): boolean;
}

function listDirectory(dir: string): EntryFacts[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Returns the entry `name` of `dir` as a listing would, without following a symlink. */
function namedEntry(dir: string, name: string): EntryFacts[] {
  try {
    const stats = lstatSync(path.join(dir, name), { throwIfNoEntry: false });
    return stats === undefined ? [] : [Object.assign(stats, { name })];
  } catch {
    return [];
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
}
