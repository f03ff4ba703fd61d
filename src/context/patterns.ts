import { cleanPath, validatePattern } from './gopath.js';

/**
 * A list of include or exclude patterns with the semantics of `github.com/moby/patternmatcher` (v0.6), which
 * BuildKit's copy applies to `COPY --exclude` and to the `--parents` include pattern: each pattern is
 * trimmed and cleaned, `!` re-includes, `**` spans folders, and a later pattern overrides an earlier one.
 */
export class PatternList {
  readonly patterns: readonly CompiledPattern[];
  readonly hasExclusions: boolean;

  /** Raises `Error` with the pattern in its message for an empty `!` or a malformed pattern. */
  constructor(texts: readonly string[]) {
    const patterns: CompiledPattern[] = [];
    for (const text of texts) {
      let pattern = text.trim();
      if (pattern === '') {
        continue;
      }
      pattern = cleanPath(pattern);
      let exclusion = false;
      if (pattern.startsWith('!')) {
        if (pattern.length === 1) {
          throw new Error('illegal exclusion pattern "!"');
        }
        exclusion = true;
        pattern = pattern.slice(1);
      }
      validatePattern(pattern);
      patterns.push(compilePattern(pattern, exclusion));
    }
    this.patterns = patterns;
    this.hasExclusions = patterns.some((pattern) => pattern.exclusion);
  }

  /**
   * Decides one path given the per-pattern results of its parent folder, as `MatchesUsingParentResults`:
   * a pattern that matched the parent also matches the child. Pass `undefined` for a path whose parent
   * was not matched through this method, so every parent prefix is tried instead.
   */
  match(path: string, parentResults: readonly boolean[] | undefined): { matched: boolean; results: boolean[] } {
    let matched = false;
    const results: boolean[] = [];

    this.patterns.forEach((pattern, index) => {
      let hit = parentResults?.[index] ?? false;
      if (!hit && pattern.exclusion === matched) {
        hit = pattern.test(path);
        if (!hit && parentResults === undefined) {
          hit = matchesSomeParent(pattern, path);
        }
      }
      results.push(hit);
      if (hit) {
        matched = !pattern.exclusion;
      }
    });

    return { matched, results };
  }
}

export interface CompiledPattern {
  /** The cleaned pattern text without its `!`. */
  readonly text: string;
  readonly exclusion: boolean;
  test(path: string): boolean;
}

function matchesSomeParent(pattern: CompiledPattern, path: string): boolean {
  const segments = path.split('/');
  for (let count = 1; count < segments.length; count++) {
    if (pattern.test(segments.slice(0, count).join('/'))) {
      return true;
    }
  }
  return false;
}

const REGEXP_SPECIALS = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

/**
 * Compiles a cleaned pattern the way patternmatcher does: an exact, prefix (`abc**`) or suffix (`**abc`)
 * comparison when the pattern allows it, otherwise a regular expression.
 */
function compilePattern(text: string, exclusion: boolean): CompiledPattern {
  const characters = Array.from(text);
  let source = '^';
  let kind: 'exact' | 'prefix' | 'suffix' | 'regexp' = 'exact';
  let inClass = false;

  for (let i = 0, position = 0; i < characters.length; i++, position++) {
    const ch = characters[i] as string;
    if (ch === '*') {
      if (characters[i + 1] === '*') {
        i++;
        if (characters[i + 1] === '/') {
          i++;
        }
        if (i + 1 >= characters.length) {
          if (kind === 'exact') {
            kind = 'prefix';
          } else {
            source += '.*';
            kind = 'regexp';
          }
        } else {
          source += '(.*/)?';
          kind = 'regexp';
        }
        if (position === 0) {
          kind = 'suffix';
        }
      } else {
        source += '[^/]*';
        kind = 'regexp';
      }
    } else if (ch === '?') {
      source += '[^/]';
      kind = 'regexp';
    } else if (REGEXP_SPECIALS.has(ch)) {
      source += `\\${ch}`;
    } else if (ch === '\\') {
      const next = characters[i + 1];
      if (next !== undefined) {
        i++;
        source += escapeLiteral(next, inClass);
        kind = 'regexp';
      } else {
        source += '\\\\';
      }
    } else if (ch === '[' || ch === ']') {
      inClass = ch === '[';
      source += ch;
      kind = 'regexp';
    } else {
      source += ch;
    }
  }

  switch (kind) {
    case 'exact':
      return { text, exclusion, test: (path) => path === text };
    case 'prefix': {
      const prefix = text.slice(0, -2);
      return { text, exclusion, test: (path) => path.startsWith(prefix) };
    }
    case 'suffix': {
      const suffix = text.slice(2);
      return {
        text,
        exclusion,
        test: (path) => path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1)),
      };
    }
    case 'regexp': {
      const expression = new RegExp(`${source}$`, 'u');
      return { text, exclusion, test: (path) => expression.test(path) };
    }
  }
}

/**
 * Writes an escaped pattern character as a literal in a `u`-mode regular expression.
 * NOTE: Go's regexp reads `\d`, `\w` and similar as classes, but this port reads every escaped letter or
 * digit literally.
 */
function escapeLiteral(character: string, inClass: boolean): string {
  if (/[A-Za-z0-9]/.test(character)) {
    return character;
  }
  const special = inClass ? /[\]\\^[-]/ : /[\^$\\.*+?()[\]{}|/]/;
  return special.test(character) ? `\\${character}` : character;
}
