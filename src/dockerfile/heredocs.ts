import { ExpansionError, NO_VARIABLES, expandWord } from './expand.js';

/**
 * Heredoc declarations (`<<EOF`, `<<-EOF`, `<<'EOF'`, `<<"EOF"`, `3<<EOF`) as BuildKit finds them in a RUN, COPY
 * or ADD line (frontend/dockerfile/parser/parser.go). BuildKit always lexes heredoc words with `\` as the
 * escape character, whatever the escape directive sets.
 */

export interface HeredocDeclaration {
  readonly name: string;
  readonly expand: boolean;
  readonly chomp: boolean;
}

const HEREDOC_WORD = /^([0-9]*)<<(-?)([^<]*)$/;

/** Parses one word such as `<<-"EOF"`; returns `undefined` when the word is not a heredoc. */
export function parseHeredocWord(word: string): HeredocDeclaration | undefined {
  const match = HEREDOC_WORD.exec(word);
  if (match === null) {
    return undefined;
  }

  const rest = match[3] as string;
  if (rest === '') {
    return undefined;
  }

  const base = { escape: '\\', lookup: NO_VARIABLES, skipUnset: true };
  const words = expandWord(rest, base).words;
  if (words.length !== 1) {
    return undefined;
  }

  // A delimiter with any quoted part turns off expansion of the body, as in a POSIX shell.
  const rawWords = expandWord(rest, { ...base, rawQuotes: true }).words;
  const name = words[0] as string;
  const expand = countQuotes(name) === countQuotes(rawWords[0] ?? '');

  return { name, expand, chomp: match[2] === '-' };
}

/** Lists the heredocs a whole instruction line declares, in order. */
export function heredocsInLine(line: string): HeredocDeclaration[] {
  // Every heredoc word starts with `<<`, and most lines have none, so this skips the costly word split.
  if (!line.includes('<<')) {
    return [];
  }

  const options = { escape: '\\', lookup: NO_VARIABLES, rawQuotes: true, rawEscapes: true, skipUnset: true };

  let words: readonly string[];
  try {
    words = expandWord(line, options).words;
  } catch (error) {
    // BuildKit ignores a line it cannot lex here, so such a line declares no heredocs.
    if (error instanceof ExpansionError) {
      return [];
    }
    throw error;
  }

  const declarations: HeredocDeclaration[] = [];
  for (const word of words) {
    const declaration = parseHeredocWordQuietly(word);
    if (declaration !== undefined) {
      declarations.push(declaration);
    }
  }
  return declarations;
}

/** Parses a heredoc word, treating a word that fails to lex as no heredoc. */
export function parseHeredocWordQuietly(word: string): HeredocDeclaration | undefined {
  try {
    return parseHeredocWord(word);
  } catch (error) {
    if (error instanceof ExpansionError) {
      return undefined;
    }
    throw error;
  }
}

/** Removes leading tabs from every line, as `<<-` requests. */
export function chompHeredoc(content: string): string {
  return content
    .split('\n')
    .map((line) => line.replace(/^\t+/, ''))
    .join('\n');
}

function countQuotes(text: string): number {
  let count = 0;
  for (const ch of text) {
    if (ch === "'" || ch === '"') {
      count++;
    }
  }
  return count;
}
