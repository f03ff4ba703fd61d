/**
 * Shell wildcard patterns as `${VAR#pattern}`, `${VAR%pattern}` and `${VAR/pattern/replacement}` use them in
 * BuildKit (frontend/dockerfile/shell/lex.go): `*` matches any string, `?` one character, and a backslash
 * escapes `*`, `?` or itself. Bracket expressions are not supported, as in BuildKit.
 */

export class PatternError extends Error {}

const REGEX_SPECIAL = new Set(['[', ']', '{', '}', '.', '+', '(', ')', '|', '^', '$']);

/** Converts a shell pattern to a regular expression, lazy (`*` as `.*?`) unless `greedy`. */
export function shellPatternToRegex(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  const chars = Array.from(pattern);
  let source = anchored ? '^' : '';

  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;

    if (ch === '*') {
      source += greedy ? '[^\\n]*' : '[^\\n]*?';
      continue;
    }
    if (ch === '?') {
      source += '[^\\n]';
      continue;
    }

    if (ch === '\\') {
      const next = chars[i + 1];
      // BuildKit drops the backslash before `}` and `/`, which only protected them from the `${}` syntax.
      if (next === '}' || next === '/') {
        continue;
      }
      if (next !== '*' && next !== '?' && next !== '\\') {
        throw new PatternError(`invalid escape '\\${next ?? ''}'`);
      }
      source += `\\${next}`;
      i++;
      continue;
    }

    source += REGEX_SPECIAL.has(ch) ? `\\${ch}` : ch;
  }

  return new RegExp(source, 'u');
}

/** Removes the shortest (or with `greedy` the longest) prefix of `value` that matches `pattern`. */
export function trimPatternPrefix(pattern: string, value: string, greedy: boolean): string {
  const match = shellPatternToRegex(pattern, greedy, true).exec(value);
  return match === null ? value : value.slice(match[0].length);
}

/**
 * Removes the shortest (or longest) suffix of `value` that matches `pattern`. A regular expression finds the
 * leftmost match only, so both strings are reversed and the suffix becomes a prefix.
 */
export function trimPatternSuffix(pattern: string, value: string, greedy: boolean): string {
  const trimmed = trimPatternPrefix(reversePattern(pattern), reverseString(value), greedy);
  return reverseString(trimmed);
}

/** Replaces the first (or every) match of `pattern` in `value`, with `*` greedy as in BuildKit. */
export function replacePattern(pattern: string, value: string, replacement: string, all: boolean): string {
  const regex = shellPatternToRegex(pattern, true, false);

  if (!all) {
    const match = regex.exec(value);
    if (match === null) {
      return value;
    }
    return value.slice(0, match.index) + replacement + value.slice(match.index + match[0].length);
  }

  // BuildKit uses Go's ReplaceAllString here, which reads `$` in the replacement as a group reference.
  return replaceAllGo(new RegExp(regex.source, 'gu'), value, expandGoTemplate(replacement));
}

/**
 * Replaces every match as Go's `ReplaceAllString` does, which differs from `String.replace`: an empty match
 * right after a previous match is skipped, so `*` replaces `abc` once, not twice.
 */
function replaceAllGo(regex: RegExp, value: string, replacement: string): string {
  let output = '';
  let lastMatchEnd = 0;
  let searchPosition = 0;

  while (searchPosition <= value.length) {
    regex.lastIndex = searchPosition;
    const match = regex.exec(value);
    if (match === null) {
      break;
    }

    const start = match.index;
    const end = start + match[0].length;
    output += value.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) {
      output += replacement;
    }
    lastMatchEnd = end;

    const width = characterWidthAt(value, searchPosition);
    if (searchPosition + width > end) {
      searchPosition += width;
    } else if (searchPosition + 1 > end) {
      searchPosition += 1;
    } else {
      searchPosition = end;
    }
  }

  return output + value.slice(lastMatchEnd);
}

function characterWidthAt(value: string, index: number): number {
  const codePoint = value.codePointAt(index);
  return codePoint !== undefined && codePoint > 0xffff ? 2 : 1;
}

/**
 * Applies Go's `regexp.Expand` rules to a replacement for a pattern without capture groups: `$$` is a literal
 * `$`, a group reference (`$name`, `${name}`) expands to nothing, and any other `$` stays literal.
 */
function expandGoTemplate(template: string): string {
  return template.replace(/\$(\$|\{[A-Za-z0-9_]+\}|[A-Za-z0-9_]+)?/g, (whole, reference: string | undefined) => {
    if (reference === undefined) {
      return '$';
    }
    return reference === '$' ? '$' : '';
  });
}

/** Reverses a pattern but keeps each escape pair in order, so `a\*c` becomes `c\*a`. */
function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const tokens: string[] = [];

  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '\\' && i !== chars.length - 1) {
      tokens.push(ch + (chars[i + 1] as string));
      i++;
    } else {
      tokens.push(ch);
    }
  }

  return tokens.reverse().join('');
}

function reverseString(value: string): string {
  return Array.from(value).reverse().join('');
}
