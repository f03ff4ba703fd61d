import { PatternError, replacePattern, trimPatternPrefix, trimPatternSuffix } from './shell-pattern.js';

/**
 * Shell-word processing as BuildKit's `frontend/dockerfile/shell/lex.go` does it: quotes, the escape
 * character, and `$V`, `${V}`, `${V:-x}`, `${V-x}`, `${V:+x}`, `${V+x}`, `${V:?x}`, `${V?x}`, `${V#p}`,
 * `${V##p}`, `${V%p}`, `${V%%p}`, `${V/p/r}` and `${V//p/r}`. It mirrors lex.go step by step, including its
 * quirks, because a different reading of a word would make imagesum hash different paths than the builder reads.
 */

/** The result of looking up a variable: set (possibly empty), unset, or unknown because a base image's ENV is. */
export type VariableValue =
  | { readonly kind: 'set'; readonly value: string }
  | { readonly kind: 'unset' }
  | { readonly kind: 'unknown' };

export type VariableLookup = (name: string) => VariableValue;

export interface ExpandOptions {
  readonly escape: string;
  readonly lookup: VariableLookup;
  /** Keep quote characters in the output (lex.go `RawQuotes`). */
  readonly rawQuotes?: boolean;
  /** Keep escape characters in the output (lex.go `RawEscapes`). */
  readonly rawEscapes?: boolean;
  /** Leave references to unset variables as written (lex.go `SkipUnsetEnv`). */
  readonly skipUnset?: boolean;
  /** Treat quotes as ordinary characters (lex.go `SkipProcessQuotes`). */
  readonly skipQuotes?: boolean;
}

export interface ExpandResult {
  /** The expanded text with quotes removed and inner whitespace kept, as `ProcessWord` returns it. */
  readonly word: string;
  /** The expanded text split into words after expansion, as `ProcessWords` returns it. */
  readonly words: readonly string[];
  /** Names that were looked up and set. */
  readonly matched: ReadonlySet<string>;
  /** Names that were looked up and not set. */
  readonly unmatched: ReadonlySet<string>;
  /** Names whose value imagesum cannot know, so the expanded text is a guess. */
  readonly unknown: ReadonlySet<string>;
}

/** A syntax error in a word, such as an unterminated quote; callers add the location. */
export class ExpansionError extends Error {}

/** Expands variables in `text` and removes quotes and escapes as the builder does; throws `ExpansionError`. */
export function expandWord(text: string, options: ExpandOptions): ExpandResult {
  if (isPlain(text, options.escape)) {
    return plainWord(text);
  }

  const processor = new ShellWordProcessor(text, options);
  const [word, words] = processor.processStopOn(undefined, options.rawEscapes ?? false);

  return {
    word,
    words,
    matched: processor.matched,
    unmatched: processor.unmatched,
    unknown: processor.unknown,
  };
}

/** Reports whether the text has no `$`, quote or escape character, so that processing would leave it as it is. */
function isPlain(text: string, escape: string): boolean {
  return !text.includes('$') && !text.includes("'") && !text.includes('"') && !text.includes(escape);
}

const NOTHING: ReadonlySet<string> = new Set();

/** Returns what the processor gives for plain text: the text itself, and its words split on whitespace. */
function plainWord(text: string): ExpandResult {
  const words = text.split(SPACE_RUN).filter((word) => word !== '');
  return { word: text, words, matched: NOTHING, unmatched: NOTHING, unknown: NOTHING };
}

/** A lookup that finds nothing, for words that must not contain variables. */
export const NO_VARIABLES: VariableLookup = () => ({ kind: 'unset' });

/** Marks the end of input, as Go's text/scanner returns EOF. */
const EOF = undefined;

type Character = string | undefined;

/** Splits text into words the way lex.go collects them, in a buffer shared by nested calls as in lex.go. */
class WordCollector {
  readonly words: string[] = [];
  private inWord = false;

  constructor(private readonly buffer: { text: string }) {}

  addCharacter(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.buffer.text.length !== 0) {
        this.words.push(this.buffer.text);
        this.buffer.text = '';
        this.inWord = false;
      }
      return;
    }
    this.addRawCharacter(ch);
  }

  addRawCharacter(ch: string): void {
    this.buffer.text += ch;
    this.inWord = true;
  }

  addString(text: string): void {
    for (const ch of text) {
      this.addCharacter(ch);
    }
  }

  addRawString(text: string): void {
    this.buffer.text += text;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.buffer.text.length > 0) {
      this.words.push(this.buffer.text);
      this.buffer.text = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class ShellWordProcessor {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  readonly unknown = new Set<string>();
  private readonly characters: string[];
  private position = 0;
  private rawEscapes: boolean;
  // lex.go reuses one word buffer for nested `${...}` words, which drops text before them from `words`.
  private readonly wordBuffer = { text: '' };

  constructor(
    text: string,
    private readonly options: ExpandOptions,
  ) {
    this.characters = Array.from(text);
    this.rawEscapes = options.rawEscapes ?? false;
  }

  private peek(): Character {
    return this.characters[this.position];
  }

  private next(): Character {
    const ch = this.characters[this.position];
    if (ch !== EOF) {
      this.position++;
    }
    return ch;
  }

  processStopOn(stop: Character, rawEscapes: boolean): [string, string[]] {
    const savedRawEscapes = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.processUntil(stop);
    } finally {
      this.rawEscapes = savedRawEscapes;
    }
  }

  private processUntil(stop: Character): [string, string[]] {
    let result = '';
    this.wordBuffer.text = '';
    const words = new WordCollector(this.wordBuffer);

    while (this.peek() !== EOF) {
      const ch = this.peek() as string;

      if (stop !== EOF && ch === stop) {
        this.next();
        return [result, words.finish()];
      }

      const special = this.processSpecial(ch);
      if (special !== undefined) {
        result += special;
        if (ch === '$') {
          words.addString(special);
        } else {
          words.addRawString(special);
        }
        continue;
      }

      const ordinary = this.processOrdinary(words);
      if (ordinary === EOF) {
        break;
      }
      result += ordinary;
    }

    if (stop !== EOF) {
      throw new ExpansionError(`unexpected end of statement while looking for matching ${stop}`);
    }
    return [result, words.finish()];
  }

  /** Handles `$` and quotes; returns `undefined` for any other character. */
  private processSpecial(ch: string): string | undefined {
    if (ch === '$') {
      return this.processDollar();
    }
    if (this.options.skipQuotes === true) {
      return undefined;
    }
    if (ch === "'") {
      return this.processSingleQuote();
    }
    if (ch === '"') {
      return this.processDoubleQuote();
    }
    return undefined;
  }

  /** Consumes one ordinary or escaped character; returns the text to add, or EOF after a trailing escape. */
  private processOrdinary(words: WordCollector): Character {
    let ch = this.next() as string;
    let prefix = '';

    if (ch !== this.options.escape) {
      words.addCharacter(ch);
      return ch;
    }

    if (this.rawEscapes) {
      words.addRawCharacter(ch);
      prefix = ch;
    }

    const escaped = this.next();
    if (escaped === EOF) {
      // An escape character at the very end is dropped, but a kept raw escape stays in the result.
      return prefix === '' ? EOF : prefix;
    }

    ch = escaped;
    words.addRawCharacter(ch);
    return prefix + ch;
  }

  private processSingleQuote(): string {
    let result = '';
    const open = this.next() as string;
    if (this.options.rawQuotes === true) {
      result += open;
    }

    for (;;) {
      const ch = this.next();
      if (ch === EOF) {
        throw new ExpansionError('unexpected end of statement while looking for matching single-quote');
      }
      if (ch === "'") {
        if (this.options.rawQuotes === true) {
          result += ch;
        }
        return result;
      }
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    let result = '';
    const open = this.next() as string;
    if (this.options.rawQuotes === true) {
      result += open;
    }

    for (;;) {
      const peeked = this.peek();
      if (peeked === EOF) {
        throw new ExpansionError('unexpected end of statement while looking for matching double-quote');
      }

      if (peeked === '"') {
        this.next();
        if (this.options.rawQuotes === true) {
          result += peeked;
        }
        return result;
      }

      if (peeked === '$') {
        result += this.processDollar();
        continue;
      }

      result += this.processQuotedCharacter();
    }
  }

  /** Reads one character inside double quotes, where the escape character only escapes `"`, `$` and itself. */
  private processQuotedCharacter(): string {
    let ch = this.next() as string;
    if (ch !== this.options.escape) {
      return ch;
    }

    const prefix = this.rawEscapes ? ch : '';
    const following = this.peek();
    if (following === EOF) {
      return prefix;
    }
    if (following === '"' || following === '$' || following === this.options.escape) {
      ch = this.next() as string;
    }
    return prefix + ch;
  }

  private processDollar(): string {
    this.next();

    if (this.peek() !== '{') {
      return this.processPlainVariable();
    }

    this.next();
    const first = this.peek();
    if (first === EOF) {
      throw new ExpansionError("syntax error: missing '}'");
    }
    if (first === '{' || first === '}' || first === ':') {
      throw new ExpansionError('syntax error: bad substitution');
    }

    const name = this.processName();
    const operator = this.next();
    return this.processBraceOperator(name, operator);
  }

  private processPlainVariable(): string {
    const name = this.processName();
    if (name === '') {
      return '$';
    }

    const value = this.lookup(name);
    if (value.kind !== 'set' && this.options.skipUnset === true) {
      return `$${name}`;
    }
    return value.kind === 'set' ? value.value : '';
  }

  private processBraceOperator(name: string, operator: Character): string {
    if (operator === '}') {
      const value = this.lookup(name);
      if (value.kind !== 'set' && this.options.skipUnset === true) {
        return `\${${name}}`;
      }
      return value.kind === 'set' ? value.value : '';
    }

    if (operator === ':') {
      const modifier = this.next();
      return this.processModifier(name, modifier, true);
    }
    if (operator === '+' || operator === '-' || operator === '?' || operator === '#' || operator === '%') {
      return this.processModifier(name, operator, false);
    }
    if (operator === '/') {
      return this.processReplacement(name);
    }

    throw new ExpansionError(`unsupported modifier (${printable(operator)}) in substitution`);
  }

  /** Handles `${V<op>word}` and `${V:<op>word}`; `nullIsUnset` is the colon form, where empty counts as unset. */
  private processModifier(name: string, modifier: Character, nullIsUnset: boolean): string {
    const operatorText = (nullIsUnset ? ':' : '') + printable(modifier);
    const patternOperator = modifier === '#' || modifier === '%';
    if (nullIsUnset && patternOperator) {
      throw new ExpansionError(`unsupported modifier (${operatorText}) in substitution`);
    }

    const word = this.processNested('}', patternOperator);
    const value = this.lookup(name);
    if (value.kind !== 'set' && this.options.skipUnset === true) {
      return `\${${name}${operatorText}${word}}`;
    }

    const isSet = value.kind === 'set';
    const text = isSet ? value.value : '';
    const missing = !isSet || (nullIsUnset && text === '');

    switch (modifier) {
      case '-':
        return missing ? word : text;
      case '+':
        return missing ? '' : word;
      case '?':
        return this.requireValue(name, value, text, nullIsUnset, word);
      case '#':
      case '%':
        return this.trimByPattern(modifier, word, text);
      default:
        throw new ExpansionError(`unsupported modifier (${operatorText}) in substitution`);
    }
  }

  private requireValue(name: string, value: VariableValue, text: string, nullIsUnset: boolean, word: string): string {
    // A variable whose value is unknown may well be set, so imagesum must not fail the build in its place.
    if (value.kind === 'unknown') {
      return text;
    }
    if (value.kind === 'unset') {
      throw new ExpansionError(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`);
    }
    if (nullIsUnset && text === '') {
      throw new ExpansionError(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`);
    }
    return text;
  }

  private trimByPattern(modifier: '#' | '%', word: string, text: string): string {
    // `##` and `%%` remove the longest match, `#` and `%` the shortest.
    const greedy = word.startsWith(modifier);
    const pattern = greedy ? word.slice(1) : word;

    try {
      if (modifier === '%') {
        return trimPatternSuffix(pattern, text, greedy);
      }
      return trimPatternPrefix(pattern, text, greedy);
    } catch (error) {
      throw patternFailure(pattern, error);
    }
  }

  private processReplacement(name: string): string {
    const replaceAll = this.peek() === '/';
    if (replaceAll) {
      this.next();
    }

    const pattern = this.processNested('/', true, "syntax error: missing '/' in ${}");
    const replacement = this.processNested('}', true);

    const value = this.lookup(name);
    if (value.kind !== 'set' && this.options.skipUnset === true) {
      return `\${${name}/${pattern}/${replacement}}`;
    }

    const text = value.kind === 'set' ? value.value : '';
    try {
      return replacePattern(pattern, text, replacement, replaceAll);
    } catch (error) {
      throw patternFailure(pattern, error);
    }
  }

  /** Processes the word inside `${...}` up to `stop`, reporting a missing `stop` at the end of input. */
  private processNested(stop: string, rawEscapes: boolean, missingMessage = "syntax error: missing '}'"): string {
    try {
      return this.processStopOn(stop, rawEscapes)[0];
    } catch (error) {
      if (error instanceof ExpansionError && this.peek() === EOF) {
        throw new ExpansionError(missingMessage);
      }
      throw error;
    }
  }

  /** Reads a variable name: letters, digits and `_`, a run of digits, or one special parameter. */
  private processName(): string {
    let name = '';

    for (let ch = this.peek(); ch !== EOF; ch = this.peek()) {
      if (name === '' && isDigit(ch)) {
        return this.processDigits();
      }
      if (name === '' && SPECIAL_PARAMETERS.has(ch)) {
        this.next();
        return ch;
      }
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') {
        break;
      }
      name += this.next() as string;
    }

    return name;
  }

  private processDigits(): string {
    let digits = '';
    for (let ch = this.peek(); ch !== EOF && isDigit(ch); ch = this.peek()) {
      digits += this.next() as string;
    }
    return digits;
  }

  private lookup(name: string): VariableValue {
    const value = this.options.lookup(name);

    if (value.kind === 'set') {
      this.matched.add(name);
    } else {
      this.unmatched.add(name);
    }
    if (value.kind === 'unknown') {
      this.unknown.add(name);
    }

    return value;
  }
}

const SPECIAL_PARAMETERS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

/** Go's `string(rune)` of EOF (-1) is the replacement character, which lex.go prints in messages. */
function printable(ch: Character): string {
  return ch === EOF ? '\uFFFD' : ch;
}

function patternFailure(pattern: string, error: unknown): ExpansionError {
  const reason = error instanceof PatternError ? error.message : String(error);
  return new ExpansionError(`invalid pattern (${pattern}) in substitution: ${reason}`);
}

// Compiled once here: a literal inside a function is a new object on every call, and words call these per character.
const SPACE = /^[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]$/u;
const SPACE_RUN = /[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+/u;
const DIGIT = /^\p{Nd}$/u;
const LETTER = /^\p{L}$/u;

/** Go's `unicode.IsSpace`. */
export function isSpace(ch: string): boolean {
  return SPACE.test(ch);
}

function isDigit(ch: string): boolean {
  return DIGIT.test(ch);
}

function isLetter(ch: string): boolean {
  return LETTER.test(ch);
}
