import { isSpace } from './expand.js';

/**
 * Splitting of an instruction line into keyword, flags and argument text, and of the argument text into
 * arguments, as BuildKit's parser does it (frontend/dockerfile/parser/split_command.go and line_parsers.go).
 */

export interface SplitLine {
  /** The keyword as written. */
  readonly keyword: string;
  /** Flag words with quotes and `\` escapes removed, such as `--from=build`. */
  readonly flagWords: readonly string[];
  /** The argument text after the flags, trimmed. */
  readonly text: string;
}

/** Splits a joined instruction line on the first run of spaces or tabs, then reads the flags. */
export function splitInstructionLine(line: string): SplitLine {
  const trimmed = trimSpace(line);
  const match = /[\t\v\f\r ]+/.exec(trimmed);

  if (match === null) {
    return { keyword: trimmed, flagWords: [], text: '' };
  }

  const keyword = trimmed.slice(0, match.index);
  const rest = trimmed.slice(match.index + match[0].length);
  const { flagWords, remainder } = extractFlagWords(rest);
  return { keyword, flagWords, text: trimSpace(remainder) };
}

/**
 * Reads the leading `--name[=value]` words. Quotes group characters and `\` escapes the next character
 * (always `\`, whatever the escape directive sets), and a bare `--` ends the flags.
 */
function extractFlagWords(line: string): { flagWords: string[]; remainder: string } {
  const flagWords: string[] = [];
  let position = 0;

  for (;;) {
    while (position < line.length && isSpace(line[position] as string)) {
      position++;
    }
    if (position >= line.length) {
      return { flagWords, remainder: '' };
    }
    if (!line.startsWith('--', position) || position + 1 >= line.length) {
      return { flagWords, remainder: line.slice(position) };
    }

    const { word, end, quoted } = readFlagWord(line, position);
    if (word === '--') {
      return { flagWords, remainder: line.slice(end) };
    }
    if (word.length > 0 || quoted) {
      flagWords.push(word);
    }
    position = end;
  }
}

function readFlagWord(line: string, start: number): { word: string; end: number; quoted: boolean } {
  let word = '';
  let quote: string | undefined;
  let quoted = false;
  let position = start;

  for (; position < line.length; position++) {
    let ch = line[position] as string;

    if (quote === undefined && isSpace(ch)) {
      break;
    }
    if (quote === undefined && (ch === "'" || ch === '"')) {
      quote = ch;
      quoted = true;
      continue;
    }
    if (quote !== undefined && ch === quote) {
      quote = undefined;
      continue;
    }

    if (ch === '\\') {
      if (position + 1 === line.length) {
        continue;
      }
      position++;
      ch = line[position] as string;
    }
    word += ch;
  }

  return { word, end: position, quoted };
}

/**
 * Splits text into words on whitespace, keeping quotes and escapes in the words, as BuildKit's `parseWords`
 * does for ARG, ENV and LABEL.
 */
export function splitWordsKeepingQuotes(text: string, escape: string): string[] {
  const characters = Array.from(text);
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  let blankAllowed = false;

  for (let i = 0; i < characters.length; i++) {
    let ch = characters[i] as string;
    const atLast = i + 1 === characters.length;

    if (quote === undefined && !inWord && isSpace(ch)) {
      continue;
    }
    inWord = true;

    if (quote === undefined) {
      if (isSpace(ch)) {
        if (blankAllowed || word.length > 0) {
          words.push(word);
        }
        word = '';
        blankAllowed = false;
        inWord = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankAllowed = true;
      }
      if (ch === escape) {
        if (atLast) {
          continue;
        }
        word += ch;
        i++;
        ch = characters[i] as string;
      }
      word += ch;
      continue;
    }

    if (ch === quote) {
      quote = undefined;
    }
    // Inside single quotes the escape character is literal.
    if (ch === escape && quote !== "'") {
      if (atLast) {
        quote = undefined;
        continue;
      }
      word += ch;
      i++;
      ch = characters[i] as string;
    }
    word += ch;
  }

  if (inWord && (blankAllowed || word.length > 0)) {
    words.push(word);
  }
  return words;
}

/** Splits on runs of spaces and tabs, as BuildKit's `parseStringsWhitespaceDelimited` does. */
export function splitOnWhitespace(text: string): string[] {
  if (text === '') {
    return [];
  }
  return text.split(/[\t\v\f\r ]+/);
}

export type JsonArrayResult =
  | { readonly kind: 'array'; readonly values: readonly string[]; readonly trailing: string }
  | { readonly kind: 'not-strings' }
  | { readonly kind: 'not-json' };

/**
 * Reads a JSON array at the start of `text` as Go's `json.Decoder` does in BuildKit's `parseJSON`: the first
 * complete value counts, and text after it is ignored. An array with a non-string element is an error there.
 */
export function parseJsonArray(text: string): JsonArrayResult {
  const start = text.search(/[^\t\n\v\f\r \u0085\u00A0]/u);
  if (start < 0 || text[start] !== '[') {
    return { kind: 'not-json' };
  }

  const end = endOfJsonValue(text, start);
  if (end === undefined) {
    return { kind: 'not-json' };
  }

  let value: unknown;
  try {
    value = JSON.parse(text.slice(start, end));
  } catch {
    return { kind: 'not-json' };
  }

  if (!Array.isArray(value)) {
    return { kind: 'not-json' };
  }
  if (!value.every((item): item is string => typeof item === 'string')) {
    return { kind: 'not-strings' };
  }
  return { kind: 'array', values: value, trailing: text.slice(end) };
}

/** Finds the end of the bracketed value that starts at `start`, skipping over strings. */
function endOfJsonValue(text: string, start: number): number | undefined {
  let depth = 0;
  let inString = false;

  for (let i = start; i < text.length; i++) {
    const ch = text[i];

    if (inString) {
      if (ch === '\\') {
        i++;
      } else if (ch === '"') {
        inString = false;
      }
      continue;
    }

    if (ch === '"') {
      inString = true;
    } else if (ch === '[' || ch === '{') {
      depth++;
    } else if (ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) {
        return i + 1;
      }
    }
  }

  return undefined;
}

/** Go's `strings.TrimSpace`. */
export function trimSpace(text: string): string {
  return text.replace(/^[\t\n\v\f\r \u0085\u00A0]+|[\t\n\v\f\r \u0085\u00A0]+$/gu, '');
}
