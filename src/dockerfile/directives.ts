import type { Directive, EscapeCharacter } from './types.js';

/**
 * Parser directives (`# syntax=…`, `# escape=…`, `# check=…`) as BuildKit reads them
 * (frontend/dockerfile/parser/directives.go): only in the unbroken run of `# key=value` lines at the top of the
 * file. The first line that is not a known directive ends the run, even an unknown `# key=value` line or a
 * blank line, and a directive that appears twice is an error.
 */

const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);

// Go's `\s` is ASCII whitespace without `\v`, and Go's `.` matches everything but `\n`.
const DIRECTIVE_PATTERN = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/;

/** A problem with a directive line; the caller adds the location. */
export class DirectiveError extends Error {}

export class DirectiveScanner {
  readonly directives: Directive[] = [];
  escape: EscapeCharacter = '\\';
  private done = false;

  /** Reads one line (newline and, for instruction lines, leading whitespace already removed). */
  scanLine(line: string, lineNumber: number): void {
    if (this.done) {
      return;
    }

    const directive = matchDirective(line);
    if (directive === undefined || !KNOWN_DIRECTIVES.has(directive.name)) {
      this.done = true;
      return;
    }

    if (this.directives.some((seen) => seen.name === directive.name)) {
      throw new DirectiveError(
        `repeated parser directive "${directive.name}": keep only one "# ${directive.name}=" line at the top of the file`,
      );
    }

    if (directive.name === 'escape') {
      this.escape = parseEscape(directive.value);
    }
    this.directives.push({ ...directive, line: lineNumber });
  }
}

function matchDirective(line: string): { name: string; value: string } | undefined {
  if (!line.startsWith('#')) {
    return undefined;
  }

  const body = line.slice(1).replace(/^[\t\n\v\f\r \u0085\u00A0]+/u, '');
  const match = DIRECTIVE_PATTERN.exec(body);
  if (match === null) {
    return undefined;
  }

  return { name: (match[1] as string).toLowerCase(), value: match[2] as string };
}

function parseEscape(value: string): EscapeCharacter {
  if (value === '\\' || value === '`') {
    return value;
  }
  throw new DirectiveError(`invalid escape directive value "${value}": use \\ or \` (a backtick)`);
}

/**
 * Finds a `syntax` directive after a `#!` line. BuildKit picks the frontend with a separate scan that skips a
 * shebang, although the parser itself stops reading directives at that line.
 */
export function syntaxAfterShebang(lines: readonly string[]): Directive | undefined {
  if (!(lines[0] ?? '').startsWith('#!')) {
    return undefined;
  }

  const seen = new Set<string>();
  for (let index = 1; index < lines.length; index++) {
    const directive = matchDirective(lines[index] as string);
    if (directive === undefined || !KNOWN_DIRECTIVES.has(directive.name) || seen.has(directive.name)) {
      return undefined;
    }
    if (directive.name === 'syntax') {
      return { ...directive, line: index + 1 };
    }
    seen.add(directive.name);
  }

  return undefined;
}
