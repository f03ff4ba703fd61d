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
 * name fails to match before the malformed part.
 */
export function matchPath(pattern: string, name: string): boolean {
  let rest = Array.from(pattern);
  let subject = Array.from(name);

  patternLoop: while (rest.length > 0) {
    const scanned = scanChunk(rest);
    const chunk = scanned.chunk;
    rest = scanned.rest;

    if (scanned.star && chunk.length === 0) {
      return !subject.includes('/');
    }

    const direct = matchChunk(chunk, subject, pattern);
    if (direct !== undefined && (direct.length === 0 || rest.length > 0)) {
      subject = direct;
      continue;
    }

    if (scanned.star) {
      for (let i = 0; i < subject.length && subject[i] !== '/'; i++) {
        const shifted = matchChunk(chunk, subject.slice(i + 1), pattern);
        if (shifted !== undefined) {
          if (rest.length === 0 && shifted.length > 0) {
            continue;
          }
          subject = shifted;
          continue patternLoop;
        }
      }
    }

    // Go checks the rest of the pattern for syntax errors before it returns false.
    while (rest.length > 0) {
      const next = scanChunk(rest);
      rest = next.rest;
      matchChunk(next.chunk, [], pattern);
    }
    return false;
  }

  return subject.length === 0;
}

/** Raises `BadPatternError` unless Go's `filepath.Match` accepts the pattern. */
export function validatePattern(pattern: string): void {
  matchPath(pattern, '.');
}

function scanChunk(pattern: string[]): { star: boolean; chunk: string[]; rest: string[] } {
  let start = 0;
  while (start < pattern.length && pattern[start] === '*') {
    start++;
  }
  const star = start > 0;
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
  return { star, chunk: pattern.slice(start, i), rest: pattern.slice(i) };
}

/**
 * Matches one chunk against the start of `subject`. Returns the unmatched rest of `subject`, or `undefined`
 * when the chunk does not match. The whole chunk is always parsed, so syntax errors surface either way.
 */
function matchChunk(chunkInput: string[], subjectInput: string[], pattern: string): string[] | undefined {
  let chunk = chunkInput;
  let subject = subjectInput;
  let failed = false;

  while (chunk.length > 0) {
    if (!failed && subject.length === 0) {
      failed = true;
    }
    const head = chunk[0];
    if (head === '[') {
      let character = '';
      if (!failed) {
        character = subject[0] ?? '';
        subject = subject.slice(1);
      }
      chunk = chunk.slice(1);
      let negated = false;
      if (chunk[0] === '^') {
        negated = true;
        chunk = chunk.slice(1);
      }
      let matched = false;
      let ranges = 0;
      for (;;) {
        if (chunk.length > 0 && chunk[0] === ']' && ranges > 0) {
          chunk = chunk.slice(1);
          break;
        }
        const low = readClassCharacter(chunk, pattern);
        chunk = low.rest;
        let high = low.character;
        if (chunk[0] === '-') {
          const upper = readClassCharacter(chunk.slice(1), pattern);
          chunk = upper.rest;
          high = upper.character;
        }
        const code = character.codePointAt(0) ?? -1;
        if ((low.character.codePointAt(0) ?? 0) <= code && code <= (high.codePointAt(0) ?? 0)) {
          matched = true;
        }
        ranges++;
      }
      if (matched === negated) {
        failed = true;
      }
    } else if (head === '?') {
      if (!failed) {
        if (subject[0] === '/') {
          failed = true;
        }
        subject = subject.slice(1);
      }
      chunk = chunk.slice(1);
    } else {
      if (head === '\\') {
        chunk = chunk.slice(1);
        if (chunk.length === 0) {
          throw new BadPatternError(pattern);
        }
      }
      if (!failed) {
        if (chunk[0] !== subject[0]) {
          failed = true;
        }
        subject = subject.slice(1);
      }
      chunk = chunk.slice(1);
    }
  }

  return failed ? undefined : subject;
}

function readClassCharacter(chunk: string[], pattern: string): { character: string; rest: string[] } {
  let rest = chunk;
  if (rest.length === 0 || rest[0] === '-' || rest[0] === ']') {
    throw new BadPatternError(pattern);
  }
  if (rest[0] === '\\') {
    rest = rest.slice(1);
    if (rest.length === 0) {
      throw new BadPatternError(pattern);
    }
  }
  const character = rest[0] as string;
  rest = rest.slice(1);
  if (rest.length === 0) {
    throw new BadPatternError(pattern);
  }
  return { character, rest };
}
