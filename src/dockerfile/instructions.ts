import type { SourceLocation } from '../errors.js';
import { splitInstructionLine, splitOnWhitespace } from './arguments.js';
import { FLAG_SPECS, FlagError, checkFlags, toInstructionFlags } from './flags.js';
import {
  OperandError,
  argOperands,
  commandOperands,
  healthcheckOperands,
  jsonOperands,
  keyValueOperands,
  listOperands,
} from './operands.js';
import type { Heredoc, Instruction, InstructionFlag } from './types.js';

/**
 * Typed instructions from joined lines, with one check per instruction kind as in BuildKit's
 * frontend/dockerfile/instructions/parse.go.
 */

/** An instruction line split into keyword, flags and text, before its heredocs are read. */
export interface LineShape {
  readonly keyword: string;
  readonly flags: readonly InstructionFlag[];
  readonly text: string;
  /** Whether the text is a JSON array, which turns off heredocs as in BuildKit. */
  readonly json: boolean;
  /** The JSON array when it is the whole text; `undefined` for shell form. */
  readonly exec: readonly string[] | undefined;
  /** The instruction an ONBUILD line wraps. */
  readonly trigger: LineShape | undefined;
}

/** A problem in one instruction; the caller adds the location. */
export class InstructionError extends Error {}

const KNOWN_KEYWORDS = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);

/** Splits a joined line; throws `InstructionError` for a JSON array with a non-string element. */
export function shapeLine(line: string): LineShape {
  const split = splitInstructionLine(line);
  const keyword = split.keyword.toUpperCase();
  const flags = toInstructionFlags(split.flagWords);

  if (keyword === 'ONBUILD') {
    const trigger = split.text === '' ? undefined : shapeLine(split.text);
    return { keyword, flags, text: split.text, json: false, exec: undefined, trigger };
  }

  const { json, exec } = execFormOf(keyword, split.text);
  return { keyword, flags, text: split.text, json, exec, trigger: undefined };
}

function execFormOf(keyword: string, text: string): { json: boolean; exec: readonly string[] | undefined } {
  const jsonText = keyword === 'HEALTHCHECK' ? healthcheckOperands(text).rest : text;
  return readExecForm(keyword, jsonText);
}

function readExecForm(keyword: string, text: string): { json: boolean; exec: readonly string[] | undefined } {
  if (!JSON_KEYWORDS.has(keyword) || text === '') {
    return { json: false, exec: undefined };
  }

  const result = wrapOperandError(() => jsonOperands(text));
  if (result.kind !== 'array') {
    return { json: false, exec: undefined };
  }

  // NOTE: BuildKit ignores text after the closing bracket. Such a line keeps `exec` unset so that a checksum
  // over `text` still covers that text, in case a builder version reads it.
  const complete = result.trailing.trim() === '';
  return { json: true, exec: complete ? result.values : undefined };
}

const JSON_KEYWORDS = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'ADD', 'COPY', 'VOLUME', 'HEALTHCHECK']);

/** Reports whether BuildKit reads heredoc bodies after this line. */
export function acceptsHeredocs(shape: LineShape): boolean {
  const target = shape.keyword === 'ONBUILD' && shape.trigger !== undefined ? shape.trigger : shape;
  return HEREDOC_KEYWORDS.has(target.keyword) && !target.json;
}

export interface InstructionInput {
  readonly shape: LineShape;
  readonly heredocs: readonly Heredoc[];
  readonly location: SourceLocation;
  readonly endLine: number;
  readonly escape: string;
}

/**
 * Checks one instruction and returns it; throws `InstructionError` for invalid input. The trigger of an ONBUILD
 * line is not checked here, because BuildKit checks it only when a child image runs it.
 */
export function buildInstruction(input: InstructionInput, check = true): Instruction {
  const { shape } = input;
  if (check) {
    checkInstruction(shape, input.escape);
  }

  const instruction: Instruction = {
    keyword: shape.keyword,
    flags: shape.flags,
    text: shape.text,
    exec: shape.exec,
    heredocs: input.heredocs,
    location: input.location,
    endLine: input.endLine,
  };

  if (shape.trigger === undefined) {
    return instruction;
  }
  const trigger = buildInstruction({ ...input, shape: shape.trigger }, false);
  return { ...instruction, trigger };
}

/** Runs the checks of `buildInstruction` on an instruction, such as an ONBUILD trigger a child runs. */
export function checkParsedInstruction(instruction: Instruction, escape: string): void {
  const shape: LineShape = {
    keyword: instruction.keyword,
    flags: instruction.flags,
    text: instruction.text,
    ...execFormOf(instruction.keyword, instruction.text),
    trigger: undefined,
  };
  checkInstruction(shape, escape);
}

function checkInstruction(shape: LineShape, escape: string): void {
  if (!KNOWN_KEYWORDS.has(shape.keyword)) {
    throw new InstructionError(
      `unknown instruction ${shape.keyword}: use a Dockerfile instruction such as FROM, RUN or COPY, or make the line a comment`,
    );
  }

  const check = CHECKS[shape.keyword];
  wrapOperandError(() => check?.(shape, escape));
}

type Check = (shape: LineShape, escape: string) => void;

const CHECKS: Readonly<Record<string, Check>> = {
  ADD: (shape) => checkCopyOrAdd(shape),
  ARG: checkArg,
  CMD: (shape) => checkFlagsOf(shape, {}),
  COPY: (shape) => checkCopyOrAdd(shape),
  ENTRYPOINT: (shape) => checkFlagsOf(shape, {}),
  ENV: checkKeyValues,
  EXPOSE: (shape) => checkCount(shape, splitOnWhitespace(shape.text), 'at-least-one'),
  FROM: checkFrom,
  HEALTHCHECK: checkHealthcheck,
  LABEL: checkKeyValues,
  MAINTAINER: (shape) => checkCount(shape, singleOperand(shape.text), 'exactly-one'),
  ONBUILD: checkOnbuild,
  RUN: (shape) => checkFlagsOf(shape, FLAG_SPECS.RUN ?? {}),
  SHELL: checkShell,
  // BuildKit never parses STOPSIGNAL flags, so any flag passes there.
  STOPSIGNAL: (shape) => checkCount({ ...shape, flags: [] }, singleOperand(shape.text), 'exactly-one'),
  USER: (shape) => checkCount(shape, singleOperand(shape.text), 'exactly-one'),
  VOLUME: checkVolume,
  WORKDIR: (shape) => checkCount(shape, singleOperand(shape.text), 'exactly-one'),
};

function checkFlagsOf(shape: LineShape, spec: Readonly<Record<string, 'bool' | 'string' | 'strings'>>): void {
  try {
    checkFlags(shape.keyword, shape.flags, spec);
  } catch (error) {
    if (error instanceof FlagError) {
      throw new InstructionError(error.message);
    }
    throw error;
  }
}

function checkCount(shape: LineShape, operands: readonly string[], rule: 'at-least-one' | 'exactly-one'): void {
  if (rule === 'at-least-one' && operands.length === 0) {
    throw new InstructionError(`${shape.keyword} requires at least one argument: add the missing value`);
  }
  if (rule === 'exactly-one' && operands.length !== 1) {
    throw new InstructionError(`${shape.keyword} requires exactly one argument: add the missing value`);
  }
  checkFlagsOf(shape, {});
}

function singleOperand(text: string): string[] {
  return text === '' ? [] : [text];
}

function checkCopyOrAdd(shape: LineShape): void {
  if (listOperands(shape.text).length < 2) {
    throw new InstructionError(
      `${shape.keyword} requires at least two arguments, a source and a destination: add the destination path`,
    );
  }
  checkFlagsOf(shape, FLAG_SPECS[shape.keyword] ?? {});
}

function checkArg(shape: LineShape, escape: string): void {
  if (argOperands(shape.text, escape).length === 0) {
    throw new InstructionError('ARG requires at least one argument: write ARG NAME or ARG NAME=value');
  }
  checkFlagsOf(shape, {});
}

function checkKeyValues(shape: LineShape, escape: string): void {
  checkFlagsOf(shape, {});

  const pairs = keyValueOperands(shape.keyword, shape.text, escape);
  if (pairs.length === 0) {
    throw new InstructionError(`${shape.keyword} requires at least one argument: write ${shape.keyword} NAME=value`);
  }
  if (pairs.some((pair) => pair.key === '')) {
    throw new InstructionError(`${shape.keyword} names can not be blank: write ${shape.keyword} NAME=value`);
  }
}

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

function checkFrom(shape: LineShape): void {
  const operands = splitOnWhitespace(shape.text);
  const named = operands.length === 3 && (operands[1] as string).toLowerCase() === 'as';

  if (!named && operands.length !== 1) {
    throw new InstructionError('FROM requires either one or three arguments: write FROM <image> [AS <name>]');
  }
  if (named && !STAGE_NAME.test((operands[2] as string).toLowerCase())) {
    throw new InstructionError(
      `invalid stage name ${JSON.stringify(operands[2])}: start with a letter and use only letters, digits, "-", "_" and "."`,
    );
  }
  checkFlagsOf(shape, FLAG_SPECS.FROM ?? {});
}

function checkHealthcheck(shape: LineShape): void {
  const { type, command } = healthcheckOperands(shape.text);
  if (type === undefined) {
    throw new InstructionError('HEALTHCHECK requires at least one argument: write HEALTHCHECK CMD <command> or NONE');
  }

  const upper = type.toUpperCase();
  if (upper === 'NONE') {
    // BuildKit does not read flags of HEALTHCHECK NONE.
    if (command.length !== 0) {
      throw new InstructionError('HEALTHCHECK NONE takes no arguments: remove the text after NONE');
    }
    return;
  }

  checkFlagsOf(shape, FLAG_SPECS.HEALTHCHECK ?? {});
  if (upper !== 'CMD') {
    throw new InstructionError(`unknown HEALTHCHECK type ${JSON.stringify(type)}: use CMD or NONE`);
  }
  if (command.length === 0) {
    throw new InstructionError('HEALTHCHECK CMD requires a command: add the command after CMD');
  }
}

function checkOnbuild(shape: LineShape): void {
  if (shape.trigger === undefined) {
    throw new InstructionError('ONBUILD requires at least one argument: write ONBUILD <instruction>');
  }
  checkFlagsOf(shape, {});

  const trigger = shape.trigger.keyword;
  if (trigger === 'ONBUILD' || trigger === 'FROM' || trigger === 'MAINTAINER') {
    throw new InstructionError(`${trigger} is not allowed as an ONBUILD trigger: use another instruction`);
  }
}

function checkShell(shape: LineShape): void {
  checkFlagsOf(shape, {});

  const operands = commandOperands(shape.text);
  if (operands.length === 0) {
    throw new InstructionError('SHELL requires at least one argument: write SHELL ["executable", "parameters"]');
  }
  if (!shape.json) {
    throw new InstructionError('SHELL requires the arguments in JSON form: write SHELL ["executable", "parameters"]');
  }
}

function checkVolume(shape: LineShape): void {
  const operands = listOperands(shape.text);
  if (operands.length === 0) {
    throw new InstructionError('VOLUME requires at least one argument: name the volume path');
  }
  checkFlagsOf(shape, {});

  if (operands.some((operand) => operand.trim() === '')) {
    throw new InstructionError('VOLUME paths can not be empty strings: remove the empty entry');
  }
}

function wrapOperandError<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof OperandError) {
      throw new InstructionError(error.message);
    }
    throw error;
  }
}
