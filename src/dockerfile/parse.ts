import { ImagesumError } from '../errors.js';
import { DirectiveError, DirectiveScanner, syntaxAfterShebang } from './directives.js';
import { chompHeredoc, heredocsInLine } from './heredocs.js';
import { InstructionError, acceptsHeredocs, buildInstruction, shapeLine } from './instructions.js';
import type { LineShape } from './instructions.js';
import {
  LineReader,
  isBlankLine,
  isCommentLine,
  stripComment,
  trimContinuation,
  trimLeadingWhitespace,
  trimNewline,
} from './lines.js';
import { splitOnWhitespace } from './arguments.js';
import type { Heredoc, Instruction, ParsedDockerfile, Stage } from './types.js';

/** One instruction's lines: the joined text split into its parts, and its heredoc bodies. */
interface Node {
  readonly shape: LineShape;
  readonly heredocs: readonly Heredoc[];
  readonly startLine: number;
  readonly endLine: number;
}

/**
 * Parses a Dockerfile into stages of instructions, in two passes as BuildKit does: lines, directives and heredocs
 * first, then the checks of each instruction. `file` is the path shown in error messages.
 */
export function parseDockerfile(file: string, text: string): ParsedDockerfile {
  const reader = new LineReader(text);
  const directives = new DirectiveScanner();
  const nodes = readNodes(file, reader, directives);

  if (nodes.length === 0) {
    fail(file, Math.max(1, reader.lineNumber), 'file with no instructions: add a FROM line');
  }

  const instructions = nodes.map((node) => toInstruction(file, node, directives.escape));
  const allDirectives = [...directives.directives];
  const shebangSyntax = syntaxAfterShebang(reader.strippedLines);
  if (shebangSyntax !== undefined && !allDirectives.some((directive) => directive.name === 'syntax')) {
    allDirectives.push(shebangSyntax);
  }

  return { file, escape: directives.escape, directives: allDirectives, ...groupStages(file, instructions) };
}

function readNodes(file: string, reader: LineReader, directives: DirectiveScanner): Node[] {
  const nodes: Node[] = [];

  for (let first = reader.next(); first !== undefined; first = reader.next()) {
    const startLine = first.number;
    const line = trimLeadingWhitespace(trimNewline(first.raw));
    scanDirective(file, directives, line, startLine);

    const joined = joinContinuationLines(file, reader, directives, stripComment(line));
    if (joined === undefined) {
      continue;
    }

    const shape = withLocation(file, startLine, () => shapeLine(joined));
    const heredocs = acceptsHeredocs(shape) ? readHeredocs(file, reader, joined, startLine) : [];
    nodes.push({ shape, heredocs, startLine, endLine: reader.lineNumber });
  }

  return nodes;
}

/**
 * Joins a line with its continuation lines; returns `undefined` for a line with nothing to parse. Comment and
 * blank lines inside a continuation are dropped, and each continuation line keeps its leading whitespace.
 */
function joinContinuationLines(
  file: string,
  reader: LineReader,
  directives: DirectiveScanner,
  firstLine: string,
): string | undefined {
  let { text, continues } = trimContinuation(firstLine, directives.escape);
  if (!continues && text === '') {
    return undefined;
  }

  while (continues) {
    const next = reader.next();
    if (next === undefined) {
      break;
    }

    const line = trimNewline(next.raw);
    scanDirective(file, directives, line, next.number);
    if (isCommentLine(next.raw) || isBlankLine(line)) {
      continue;
    }

    const trimmed = trimContinuation(stripComment(line), directives.escape);
    text += trimmed.text;
    continues = trimmed.continues;
  }

  return text;
}

function scanDirective(file: string, directives: DirectiveScanner, line: string, lineNumber: number): void {
  try {
    directives.scanLine(line, lineNumber);
  } catch (error) {
    if (error instanceof DirectiveError) {
      fail(file, lineNumber, error.message);
    }
    throw error;
  }
}

/** Reads the body of each heredoc the line declares, in order; bodies keep their line endings, CRLF included. */
function readHeredocs(file: string, reader: LineReader, line: string, startLine: number): Heredoc[] {
  const heredocs: Heredoc[] = [];

  for (const declaration of heredocsInLine(line)) {
    let content = '';
    let terminated = false;

    for (let next = reader.next(); next !== undefined; next = reader.next()) {
      const candidate = trimNewline(next.raw);
      const terminator = declaration.chomp ? candidate.replace(/^\t+/, '') : candidate;
      if (terminator === declaration.name) {
        terminated = true;
        break;
      }
      content += next.raw;
    }

    if (!terminated) {
      fail(file, startLine, `unterminated heredoc ${declaration.name}: add a line that contains only ${declaration.name}`);
    }

    heredocs.push({
      name: declaration.name,
      content: declaration.chomp ? chompHeredoc(content) : content,
      expand: declaration.expand,
      chomp: declaration.chomp,
    });
  }

  return heredocs;
}

function toInstruction(file: string, node: Node, escape: string): Instruction {
  return withLocation(file, node.startLine, () =>
    buildInstruction({
      shape: node.shape,
      heredocs: node.heredocs,
      location: { file, line: node.startLine },
      endLine: node.endLine,
      escape,
    }),
  );
}

/** Splits instructions into global ARGs and stages; every other instruction needs a FROM above it. */
function groupStages(file: string, instructions: readonly Instruction[]): { globalArgs: Instruction[]; stages: Stage[] } {
  const globalArgs: Instruction[] = [];
  const stages: { index: number; name: string | undefined; from: Instruction; instructions: Instruction[] }[] = [];

  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      stages.push({ index: stages.length, name: stageName(instruction), from: instruction, instructions: [] });
      continue;
    }

    const current = stages[stages.length - 1];
    if (current !== undefined) {
      current.instructions.push(instruction);
    } else if (instruction.keyword === 'ARG') {
      globalArgs.push(instruction);
    } else {
      fail(file, instruction.location.line, `${instruction.keyword} comes before the first FROM: add a FROM line above it`);
    }
  }

  if (stages.length === 0) {
    fail(file, 1, 'no FROM instruction, so there is no stage to build: add FROM <image>');
  }

  return { globalArgs, stages };
}

function stageName(from: Instruction): string | undefined {
  const operands = splitOnWhitespace(from.text);
  return operands.length === 3 ? (operands[2] as string).toLowerCase() : undefined;
}

function withLocation<T>(file: string, line: number, action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof InstructionError) {
      fail(file, line, error.message);
    }
    throw error;
  }
}

export function fail(file: string, line: number, message: string): never {
  throw new ImagesumError('dockerfile', message, { file, line });
}
