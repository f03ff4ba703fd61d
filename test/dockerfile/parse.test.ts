import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ImagesumError } from '../../src/errors.js';
import { parseDockerfile } from '../../src/dockerfile/index.js';
import type { Instruction, ParsedDockerfile } from '../../src/dockerfile/index.js';

function parse(text: string): ParsedDockerfile {
  return parseDockerfile('Dockerfile', text);
}

/** The instructions after the first FROM, in order. */
function body(text: string): Instruction[] {
  return parse(text).stages.flatMap((stage) => [...stage.instructions]);
}

function assertRejects(text: string, message: string): void {
  assert.throws(
    () => parse(text),
    (error: unknown) => {
      assert.ok(error instanceof ImagesumError);
      assert.equal(error.kind, 'dockerfile');
      assert.equal(error.message, message);
      return true;
    },
  );
}

test('directives count only in the top block', () => {
  const cases: { text: string; escape: string; directives: [string, string, number][] }[] = [
    { text: '# escape=`\nFROM a\n', escape: '`', directives: [['escape', '`', 1]] },
    { text: '# syntax=x\n#  ESCAPE = `  \nFROM a\n', escape: '`', directives: [['syntax', 'x', 1], ['escape', '`', 2]] },
    { text: '# foo=bar\n# escape=`\nFROM a\n', escape: '\\', directives: [] },
    { text: '# a comment\n# escape=`\nFROM a\n', escape: '\\', directives: [] },
    { text: '\n# escape=`\nFROM a\n', escape: '\\', directives: [] },
    { text: 'FROM a\n# escape=`\n', escape: '\\', directives: [] },
    { text: '# check=skip=all\nFROM a\n', escape: '\\', directives: [['check', 'skip=all', 1]] },
    { text: '#!/usr/bin/env docker\n# syntax=y\nFROM a\n', escape: '\\', directives: [['syntax', 'y', 2]] },
  ];

  for (const { text, escape, directives } of cases) {
    const parsed = parse(text);
    assert.equal(parsed.escape, escape, text);
    assert.deepEqual(
      parsed.directives.map((directive) => [directive.name, directive.value, directive.line]),
      directives,
      text,
    );
  }
});

test('directive errors name the line', () => {
  assertRejects(
    '# escape=`\n# escape=\\\nFROM a\n',
    'Dockerfile:2: repeated parser directive "escape": keep only one "# escape=" line at the top of the file',
  );
  assertRejects('# escape=x\nFROM a\n', 'Dockerfile:1: invalid escape directive value "x": use \\ or ` (a backtick)');
});

test('BOM and CRLF are read as BuildKit reads them', () => {
  const instructions = body('\uFEFFFROM a\r\nRUN echo hi \\\r\n  there\r\nCOPY <<EOF /f\r\nline1\r\nEOF\r\n');

  assert.equal(parse('\uFEFF# escape=`\r\nFROM a\r\n').escape, '`');
  assert.equal(instructions[0]?.text, 'echo hi   there');
  assert.equal(instructions[1]?.heredocs[0]?.content, 'line1\r\n');
});

test('comments, continuations and whitespace', () => {
  const cases: { text: string; expected: string }[] = [
    { text: 'FROM a\nRUN echo a \\\n  # comment\n\n    b\n', expected: 'echo a     b' },
    { text: 'FROM a\nRUN echo a#b \\\n#c\n  d\n', expected: 'echo a#b   d' },
    { text: 'FROM a\nRUN echo "a  b"\t\n', expected: 'echo "a  b"' },
    { text: 'FROM a\n   run   echo  x\n', expected: 'echo  x' },
    { text: 'FROM a\nRUN echo a \\\\\n', expected: 'echo a \\\\' },
    { text: '# escape=`\nFROM a\nRUN echo a `\n b\n', expected: 'echo a  b' },
    { text: '# escape=`\nFROM a\nRUN dir c:\\ `\n b\n', expected: 'dir c:\\  b' },
  ];

  for (const { text, expected } of cases) {
    const instructions = body(text);
    assert.equal(instructions.length, 1, text);
    assert.equal(instructions[0]?.text, expected, text);
  }
});

test('escaped escape ends the instruction', () => {
  const instructions = body('FROM a\nRUN echo a \\\\\nRUN echo b\n');

  assert.deepEqual(
    instructions.map((instruction) => [instruction.keyword, instruction.text, instruction.location.line]),
    [
      ['RUN', 'echo a \\\\', 2],
      ['RUN', 'echo b', 3],
    ],
  );
});

test('keywords, flags and exec form', () => {
  const cases: { line: string; keyword: string; flags: [string, string | undefined][]; text: string; exec?: string[] }[] = [
    { line: 'copy --from=build --chmod=644 a b', keyword: 'COPY', flags: [['from', 'build'], ['chmod', '644']], text: 'a b' },
    { line: 'COPY --link a b', keyword: 'COPY', flags: [['link', undefined]], text: 'a b' },
    { line: 'COPY --chown="a b" x y', keyword: 'COPY', flags: [['chown', 'a b']], text: 'x y' },
    { line: 'COPY -- --x y', keyword: 'COPY', flags: [], text: '--x y' },
    { line: 'RUN ["echo", "a  b"]', keyword: 'RUN', flags: [], text: '["echo", "a  b"]', exec: ['echo', 'a  b'] },
    { line: 'RUN ["\\u0041"]', keyword: 'RUN', flags: [], text: '["\\u0041"]', exec: ['A'] },
    { line: "RUN [\"a\", 'b']", keyword: 'RUN', flags: [], text: "[\"a\", 'b']" },
    { line: 'RUN [ "a" ] && b', keyword: 'RUN', flags: [], text: '[ "a" ] && b' },
    { line: 'HEALTHCHECK --interval=5s CMD ["true"]', keyword: 'HEALTHCHECK', flags: [['interval', '5s']], text: 'CMD ["true"]', exec: ['true'] },
  ];

  for (const { line, keyword, flags, text, exec } of cases) {
    const [instruction] = body(`FROM a\n${line}\n`);
    assert.equal(instruction?.keyword, keyword, line);
    assert.deepEqual(instruction?.flags.map((flag) => [flag.name, flag.value]), flags, line);
    assert.equal(instruction?.text, text, line);
    assert.deepEqual(instruction?.exec, exec, line);
  }
});

test('JSON array with non-strings is rejected', () => {
  assertRejects(
    'FROM a\nCMD ["a", 1]\n',
    'Dockerfile:2: a JSON array must contain only strings: quote every element, or write the command without brackets',
  );
});

test('multi-line JSON drops comment lines', () => {
  const [instruction] = body('FROM a\nRUN ["echo", \\\n  # note\n  "x"]\n');

  assert.deepEqual(instruction?.exec, ['echo', 'x']);
});

test('heredocs are read verbatim', () => {
  const cases: { text: string; heredocs: [string, string, boolean, boolean][]; textAfter: string }[] = [
    { text: 'FROM a\nRUN <<EOF\n  echo $X\n\nEOF\n', heredocs: [['EOF', '  echo $X\n\n', true, false]], textAfter: '<<EOF' },
    { text: "FROM a\nRUN <<'EOF' sh\necho\nEOF\n", heredocs: [['EOF', 'echo\n', false, false]], textAfter: "<<'EOF' sh" },
    { text: 'FROM a\nRUN <<-"E"\n\t\tx\n\ty\n\tE\n', heredocs: [['E', 'x\ny\n', false, true]], textAfter: '<<-"E"' },
    {
      text: 'FROM a\nCOPY <<A <<B /dst/\na\nA\nb\nB\n',
      heredocs: [
        ['A', 'a\n', true, false],
        ['B', 'b\n', true, false],
      ],
      textAfter: '<<A <<B /dst/',
    },
    { text: 'FROM a\nONBUILD RUN <<X\nhi\nX\n', heredocs: [['X', 'hi\n', true, false]], textAfter: 'RUN <<X' },
    { text: 'FROM a\nRUN ["cat", "<<EOF"]\nRUN x\n', heredocs: [], textAfter: '["cat", "<<EOF"]' },
    { text: 'FROM a\nENV A=<<EOF\nRUN x\n', heredocs: [], textAfter: 'A=<<EOF' },
  ];

  for (const { text, heredocs, textAfter } of cases) {
    const [instruction] = body(text);
    assert.equal(instruction?.text, textAfter, text);
    assert.deepEqual(
      instruction?.heredocs.map((heredoc) => [heredoc.name, heredoc.content, heredoc.expand, heredoc.chomp]),
      heredocs,
      text,
    );
  }
});

test('ONBUILD keeps its trigger', () => {
  const [instruction] = body('FROM a\nONBUILD copy --chown=1 src /dst\n');

  assert.equal(instruction?.keyword, 'ONBUILD');
  assert.equal(instruction?.text, 'copy --chown=1 src /dst');
  assert.equal(instruction?.trigger?.keyword, 'COPY');
  assert.deepEqual(instruction?.trigger?.flags, [{ name: 'chown', value: '1' }]);
  assert.equal(instruction?.trigger?.text, 'src /dst');
});

test('stages, names and global ARGs', () => {
  const parsed = parse('ARG A=1\nARG B\nFROM x AS Build\nRUN a\nfrom build as Second\nfrom scratch\n');

  assert.deepEqual(
    parsed.globalArgs.map((instruction) => instruction.text),
    ['A=1', 'B'],
  );
  assert.deepEqual(
    parsed.stages.map((stage) => [stage.index, stage.name, stage.from.text, stage.instructions.length]),
    [
      [0, 'build', 'x AS Build', 1],
      [1, 'second', 'build as Second', 0],
      [2, undefined, 'scratch', 0],
    ],
  );
});

test('bad input names file and line', () => {
  const cases: [string, string][] = [
    ['FROM a\nFOO bar\n', 'Dockerfile:2: unknown instruction FOO: use a Dockerfile instruction such as FROM, RUN or COPY, or make the line a comment'],
    ['FROM a\nCOPY --form=x a b\n', 'Dockerfile:2: unknown flag --form for COPY: remove it or check its spelling'],
    ['FROM a\nCOPY --from a b\n', 'Dockerfile:2: flag --from of COPY is missing a value: write --from=<value>'],
    ['FROM a\nCOPY --link=maybe a b\n', 'Dockerfile:2: flag --link of COPY expects true or false, not "maybe"'],
    ['FROM a\nENV --x=1 A=1\n', 'Dockerfile:2: unknown flag --x for ENV: remove it or check its spelling'],
    ['FROM a\nCOPY a\n', 'Dockerfile:2: COPY requires at least two arguments, a source and a destination: add the destination path'],
    ['FROM a\n\nRUN <<EOF\nx\n', 'Dockerfile:3: unterminated heredoc EOF: add a line that contains only EOF'],
    ['FROM a AS\n', 'Dockerfile:1: FROM requires either one or three arguments: write FROM <image> [AS <name>]'],
    ['FROM a AS 1x\n', 'Dockerfile:1: invalid stage name "1x": start with a letter and use only letters, digits, "-", "_" and "."'],
    ['FROM a\nONBUILD FROM b\n', 'Dockerfile:2: FROM is not allowed as an ONBUILD trigger: use another instruction'],
    ['FROM a\nONBUILD ONBUILD RUN x\n', 'Dockerfile:2: ONBUILD is not allowed as an ONBUILD trigger: use another instruction'],
    ['FROM a\nONBUILD maintainer me\n', 'Dockerfile:2: MAINTAINER is not allowed as an ONBUILD trigger: use another instruction'],
    ['RUN x\nFROM a\n', 'Dockerfile:1: RUN comes before the first FROM: add a FROM line above it'],
    ['ARG A=1\n', 'Dockerfile:1: no FROM instruction, so there is no stage to build: add FROM <image>'],
    ['# only a comment\n', 'Dockerfile:1: file with no instructions: add a FROM line'],
    ['FROM a\nENV A\n', 'Dockerfile:2: ENV must have two arguments: write ENV NAME=value'],
    ['FROM a\nENV A=1 B\n', 'Dockerfile:2: cannot find "=" in "B": write ENV NAME=value'],
    ['FROM a\nSHELL bash -c\n', 'Dockerfile:2: SHELL requires the arguments in JSON form: write SHELL ["executable", "parameters"]'],
    ['FROM a\nARG =x\n', 'Dockerfile:2: ARG names can not be blank: write ARG NAME or ARG NAME=value'],
  ];

  for (const [text, message] of cases) {
    assertRejects(text, message);
  }
});
