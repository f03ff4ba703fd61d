import { parseJsonArray, splitOnWhitespace, splitWordsKeepingQuotes } from './arguments.js';
import type { JsonArrayResult } from './arguments.js';

/**
 * The operands of each instruction kind, read from its argument text as BuildKit's line parsers read them
 * (frontend/dockerfile/parser/line_parsers.go). Values stay unexpanded: expansion needs the stage's scope.
 */

/** A problem in an instruction's operands; the caller adds the location. */
export class OperandError extends Error {}

export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

export interface ArgDeclaration {
  readonly name: string;
  /** The default as written, or `undefined` for `ARG NAME`. */
  readonly defaultValue: string | undefined;
}

/** Reads a JSON array of strings, or `undefined` for shell form; a non-string element is an error. */
export function jsonOperands(text: string): JsonArrayResult & { readonly kind: 'array' | 'not-json' } {
  const result = parseJsonArray(text);
  if (result.kind === 'not-strings') {
    throw new OperandError(
      'a JSON array must contain only strings: quote every element, or write the command without brackets',
    );
  }
  return result;
}

/** Operands of ADD, COPY and VOLUME: a JSON array, else whitespace-separated words. */
export function listOperands(text: string): string[] {
  const json = jsonOperands(text);
  return json.kind === 'array' ? [...json.values] : splitOnWhitespace(text);
}

/** Operands of RUN, CMD, ENTRYPOINT and SHELL: a JSON array, else the whole text as one command. */
export function commandOperands(text: string): string[] {
  if (text === '') {
    return [];
  }
  const json = jsonOperands(text);
  return json.kind === 'array' ? [...json.values] : [text];
}

/** Splits sources from the destination of ADD or COPY. */
export function sourcesAndDestination(text: string): { sources: string[]; destination: string | undefined } {
  const operands = listOperands(text);
  return { sources: operands.slice(0, -1), destination: operands[operands.length - 1] };
}

/** Reads the pairs of ENV or LABEL: `NAME=value …`, or the legacy `NAME value` form. */
export function keyValueOperands(keyword: string, text: string, escape: string): KeyValue[] {
  const words = splitWordsKeepingQuotes(text, escape);
  if (words.length === 0) {
    return [];
  }

  if (!(words[0] as string).includes('=')) {
    const separator = /[\t\v\f\r ]+/.exec(text);
    if (separator === null) {
      throw new OperandError(`${keyword} must have two arguments: write ${keyword} NAME=value`);
    }
    const key = text.slice(0, separator.index);
    const value = text.slice(separator.index + separator[0].length);
    return [{ key, value }];
  }

  return words.map((word) => {
    const index = word.indexOf('=');
    if (index < 0) {
      throw new OperandError(`cannot find "=" in ${JSON.stringify(word)}: write ${keyword} NAME=value`);
    }
    return { key: word.slice(0, index), value: word.slice(index + 1) };
  });
}

/** Reads the names and defaults an ARG instruction declares. */
export function argOperands(text: string, escape: string): ArgDeclaration[] {
  return splitWordsKeepingQuotes(text, escape).map((word) => {
    const index = word.indexOf('=');
    if (index < 0) {
      return { name: word, defaultValue: undefined };
    }
    if (index === 0) {
      throw new OperandError('ARG names can not be blank: write ARG NAME or ARG NAME=value');
    }
    return { name: word.slice(0, index), defaultValue: word.slice(index + 1) };
  });
}

/** HEALTHCHECK operands: the type (`CMD` or `NONE`) and the command after it. */
export function healthcheckOperands(text: string): { type: string | undefined; command: string[]; rest: string } {
  const match = /^(\S+)[\t\n\v\f\r ]*([^]*)$/.exec(text);
  if (match === null) {
    return { type: undefined, command: [], rest: '' };
  }
  const rest = match[2] as string;
  return { type: match[1] as string, command: commandOperands(rest), rest };
}
