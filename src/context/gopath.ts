/**
 * Go's `path/filepath` rules on Linux, which the engine applies to COPY sources and ignore patterns:
 * `Clean` and `Match`. Written from the documented semantics of current Go, whose `Match` also reports a
 * syntax error in the part of the pattern it did not need to reach.
 */

/** Raised for a malformed pattern, as Go's `filepath.ErrBadPattern`. */
export class BadPatternError extends Error {
  constructor(pattern: string) {
    super(`syntax error in pattern ${JSON.stringify(pattern)}`);
    this.name = 'BadPatternError';
  }
}

/** Returns the shortest path equal to `path` by purely lexical processing, as Go's `filepath.Clean`. */
export function cleanPath(path: string): string {
  if (path === '') {
    return '.';
  }
  const rooted = path.startsWith('/');
  const parts: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') {
      continue;
    }
    if (segment === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') {
        parts.pop();
      } else if (!rooted) {
        parts.push('..');
      }
      continue;
    }
    parts.push(segment);
  }
  const joined = parts.join('/');
  if (rooted) {
    return `/${joined}`;
  }
  return joined === '' ? '.' : joined;
}

/** Returns whether a path segment contains `*`, `?` or `[` outside a `\` escape, as BuildKit's copy decides. */
export function containsWildcards(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++;
    } else if (ch === '*' || ch === '?' || ch === '[') {
      return true;
    }
  }
  return false;
}

/**
 * Reports whether `name` matches the shell pattern, as Go's `filepath.Match` on Linux: `*` and `?` never
 * match `/`, but a character class can. Raises `BadPatternError` for a malformed pattern, even when the
 * name fails to match before the malformed part. Both strings are split into code points once, and the
 * matcher moves indexes over them, because COPY wildcards test every name of a folder.
 */
export function matchPath(pattern: string, name: string): boolean {
  const text = Array.from(pattern);
  const subject = Array.from(name);
  let next = 0;
  let position = 0;

  patternLoop: while (next < text.length) {
    const chunk = scanChunk(text, next);
    next = chunk.end;

    if (chunk.star && chunk.start === chunk.end) {
      return !subject.includes('/', position);
    }

    const direct = matchChunk(text, chunk, subject, position, pattern);
    if (direct >= 0 && (direct === subject.length || next < text.length)) {
      position = direct;
      continue;
    }

    if (chunk.star) {
      for (let i = position; i < subject.length && subject[i] !== '/'; i++) {
        const shifted = matchChunk(text, chunk, subject, i + 1, pattern);
        if (shifted >= 0) {
          if (next === text.length && shifted < subject.length) {
            continue;
          }
          position = shifted;
          continue patternLoop;
        }
      }
    }

    // Go checks the rest of the pattern for syntax errors before it returns false.
    while (next < text.length) {
      const rest = scanChunk(text, next);
      next = rest.end;
      matchChunk(text, rest, subject, subject.length, pattern);
    }
    return false;
  }

  return position === subject.length;
}

/** Raises `BadPatternError` unless Go's `filepath.Match` accepts the pattern. */
export function validatePattern(pattern: string): void {
  matchPath(pattern, '.');
}

/** The code points `start` to `end` of a pattern, after the stars that precede them. */
interface Chunk {
  readonly star: boolean;
  readonly start: number;
  readonly end: number;
}

function scanChunk(pattern: readonly string[], from: number): Chunk {
  let start = from;
  while (start < pattern.length && pattern[start] === '*') {
    start++;
  }
  let inRange = false;
  let i = start;
  scan: for (; i < pattern.length; i++) {
    switch (pattern[i]) {
      case '\\':
        if (i + 1 < pattern.length) {
          i++;
        }
        break;
      case '[':
        inRange = true;
        break;
      case ']':
        inRange = false;
        break;
      case '*':
        if (!inRange) {
          break scan;
        }
        break;
      default:
        break;
    }
  }
  return { star: start > from, start, end: i };
}

/**
 * Matches one chunk against `subject` from `position`. Returns the position after the matched part, or -1
 * when the chunk does not match. The whole chunk is always parsed, so syntax errors surface either way.
 */
function matchChunk(pattern: readonly string[], chunk: Chunk, subject: readonly string[], position: number, text: string): number {
  let at = chunk.start;
  let index = position;
  let failed = false;

  while (at < chunk.end) {
    if (!failed && index >= subject.length) {
      failed = true;
    }
    const head = pattern[at];
    if (head === '[') {
      const character = failed ? '' : (subject[index++] ?? '');
      const range = matchClass(pattern, at + 1, chunk.end, character, text);
      at = range.end;
      if (!range.matched) {
        failed = true;
      }
    } else if (head === '?') {
      if (!failed && subject[index++] === '/') {
        failed = true;
      }
      at++;
    } else {
      if (head === '\\') {
        at++;
        if (at >= chunk.end) {
          throw new BadPatternError(text);
        }
      }
      if (!failed && pattern[at] !== subject[index++]) {
        failed = true;
      }
      at++;
    }
  }

  return failed ? -1 : index;
}

/** Matches a character against the class that starts after its `[`, and returns where the class ends. */
function matchClass(pattern: readonly string[], from: number, end: number, character: string, text: string): { matched: boolean; end: number } {
  let at = from;
  let negated = false;
  if (at < end && pattern[at] === '^') {
    negated = true;
    at++;
  }

  const code = character.codePointAt(0) ?? -1;
  let matched = false;
  for (let ranges = 0; ; ranges++) {
    if (at < end && pattern[at] === ']' && ranges > 0) {
      return { matched: matched !== negated, end: at + 1 };
    }
    const low = readClassCharacter(pattern, at, end, text);
    at = low + 1;
    let high = low;
    if (at < end && pattern[at] === '-') {
      high = readClassCharacter(pattern, at + 1, end, text);
      at = high + 1;
    }
    if ((pattern[low]?.codePointAt(0) ?? 0) <= code && code <= (pattern[high]?.codePointAt(0) ?? 0)) {
      matched = true;
    }
  }
}

/**
 * Returns the index of the class character at `at`, after a `\` escape. Raises `BadPatternError` when none
 * is there or the class ends right after it.
 */
function readClassCharacter(pattern: readonly string[], at: number, end: number, text: string): number {
  let index = at;
  if (index >= end || pattern[index] === '-' || pattern[index] === ']') {
    throw new BadPatternError(text);
  }
  if (pattern[index] === '\\') {
    index++;
    if (index >= end) {
      throw new BadPatternError(text);
    }
  }
  if (index + 1 >= end) {
    throw new BadPatternError(text);
  }
  return index;
}
