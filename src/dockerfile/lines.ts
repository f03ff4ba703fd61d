/**
 * Physical and logical lines of a Dockerfile as BuildKit's parser reads them (frontend/dockerfile/parser/parser.go).
 * The BOM is dropped, and lines end at `\n` with any trailing `\r` removed. `#` starts a comment only as the first
 * non-blank character of a line, and the escape character at the end of a line continues the instruction.
 */

/** One line as read, with its line terminator, and its number counted from 1. */
export interface PhysicalLine {
  readonly raw: string;
  readonly number: number;
}

const LEADING_SPACE = /^[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+/u;

/** Reads the text line by line, keeping each line's terminator for heredoc bodies. */
export class LineReader {
  private readonly lines: string[];
  private index = 0;

  constructor(text: string) {
    const withoutBom = text.startsWith('\uFEFF') ? text.slice(1) : text;
    this.lines = splitKeepingNewlines(withoutBom);
  }

  /** Every line without its terminator, for scans that need the whole file. */
  get strippedLines(): string[] {
    return this.lines.map(trimNewline);
  }

  next(): PhysicalLine | undefined {
    const raw = this.lines[this.index];
    if (raw === undefined) {
      return undefined;
    }
    this.index++;
    return { raw, number: this.index };
  }

  /** The number of the last line read, 0 before the first. */
  get lineNumber(): number {
    return this.index;
  }
}

function splitKeepingNewlines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;

  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', start)) {
    lines.push(text.slice(start, index + 1));
    start = index + 1;
  }
  if (start < text.length) {
    lines.push(text.slice(start));
  }

  return lines;
}

/** Removes every trailing `\r` and `\n`, as BuildKit's `trimNewline` does. */
export function trimNewline(line: string): string {
  return line.replace(/[\r\n]+$/, '');
}

export function trimLeadingWhitespace(line: string): string {
  return line.replace(LEADING_SPACE, '');
}

/** Reports whether the line is a comment: `#` after optional leading whitespace. */
export function isCommentLine(raw: string): boolean {
  return trimLeadingWhitespace(trimNewline(raw)).startsWith('#');
}

export function isBlankLine(raw: string): boolean {
  return trimLeadingWhitespace(trimNewline(raw)) === '';
}

/** Drops a line that starts with `#`; BuildKit strips comments only at the very start of the text it has. */
export function stripComment(line: string): string {
  return line.startsWith('#') ? '' : line;
}

/**
 * Removes a continuation escape at the end of a line and reports whether the line continues. An escape character
 * that is itself escaped (`\\` at the end) does not continue the line, as in BuildKit's continuation pattern.
 */
export function trimContinuation(line: string, escape: string): { text: string; continues: boolean } {
  const pattern = escape === '`' ? CONTINUATION_BACKTICK : CONTINUATION_BACKSLASH;
  const match = pattern.exec(line);
  if (match === null) {
    return { text: line, continues: false };
  }
  return { text: line.slice(0, match.index) + (match[1] ?? ''), continues: true };
}

const CONTINUATION_BACKSLASH = /([^\\])\\[ \t]*$|^\\[ \t]*$/u;
const CONTINUATION_BACKTICK = /([^`])`[ \t]*$|^`[ \t]*$/u;
