import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ImagesumError } from '../../src/errors.js';
import { parseDockerfile, resolveBuild } from '../../src/dockerfile/index.js';
import type { BaseImageFacts, ResolveOptions, ResolvedBuild } from '../../src/dockerfile/index.js';

function resolve(text: string, options: Partial<ResolveOptions> = {}): ResolvedBuild {
  return resolveBuild(parseDockerfile('Dockerfile', text), {
    buildArgs: {},
    target: undefined,
    platform: undefined,
    buildPlatform: 'linux/amd64',
    builder: 'buildkit',
    baseImage: () => undefined,
    ...options,
  });
}

function lastStage(build: ResolvedBuild) {
  const stage = build.stages[build.stages.length - 1];
  assert.ok(stage !== undefined);
  return stage;
}

function assertRejects(text: string, options: Partial<ResolveOptions>, message: string): void {
  assert.throws(
    () => resolve(text, options),
    (error: unknown) => {
      assert.ok(error instanceof ImagesumError);
      assert.equal(error.message, message);
      return true;
    },
  );
}

test('ARG scoping and build args', () => {
  const cases: { text: string; buildArgs?: Record<string, string>; args: Record<string, string | null>; globals: Record<string, string | null> }[] = [
    { text: 'ARG V=1\nFROM a\nRUN x\n', args: {}, globals: {} },
    { text: 'ARG V=1\nFROM a\nARG V\n', args: { V: '1' }, globals: { V: '1' } },
    { text: 'ARG V=1\nFROM a\nARG V\n', buildArgs: { V: '2' }, args: { V: '2' }, globals: { V: '2' } },
    { text: 'ARG V=1\nFROM a\nARG V=3\n', args: { V: '3' }, globals: { V: '1' } },
    { text: 'FROM a\nARG V\n', args: { V: null }, globals: {} },
    { text: 'ARG V\nFROM a\nARG V\n', args: { V: null }, globals: { V: null } },
    { text: 'ARG A=1\nARG B=${A}2\nFROM a:$B\n', args: {}, globals: { B: '12' } },
    { text: 'FROM a\nENV E=e\nARG V=$E-x\n', args: { V: 'e-x' }, globals: {} },
    { text: 'ARG G=g\nFROM a\nARG V=$G\n', args: { V: '' }, globals: {} },
    { text: 'FROM a\nARG HTTP_PROXY\nARG V=1 W\n', buildArgs: { HTTP_PROXY: 'p', W: 'w' }, args: { V: '1', W: 'w' }, globals: {} },
    { text: 'FROM a AS b\nARG V=1\nFROM b\nARG W=$V\n', args: { W: '1' }, globals: {} },
  ];

  for (const { text, buildArgs = {}, args, globals } of cases) {
    const build = resolve(text, { buildArgs });
    assert.deepEqual(lastStage(build).args, args, text);
    assert.deepEqual(build.globalArgs, globals, text);
  }
});

test('platform ARGs follow the options', () => {
  const text = 'FROM --platform=$BUILDPLATFORM a:$TARGETARCH AS b\nARG TARGETPLATFORM\nARG BUILDOS\nARG TARGETVARIANT\n';
  const cases: { platform?: string; reference: string; stagePlatform: string; args: Record<string, string> }[] = [
    { reference: 'a:amd64', stagePlatform: 'linux/amd64', args: { TARGETPLATFORM: 'linux/amd64', BUILDOS: 'linux', TARGETVARIANT: '' } },
    {
      platform: 'linux/arm/v7',
      reference: 'a:arm',
      stagePlatform: 'linux/amd64',
      args: { TARGETPLATFORM: 'linux/arm/v7', BUILDOS: 'linux', TARGETVARIANT: 'v7' },
    },
  ];

  for (const { platform, reference, stagePlatform, args } of cases) {
    const build = resolve(text, { platform });
    const stage = lastStage(build);
    assert.deepEqual(stage.base.kind === 'image' ? stage.base.use.reference : undefined, reference);
    assert.equal(stage.platform, stagePlatform);
    assert.deepEqual(stage.args, args);
    assert.deepEqual(build.globalArgs, {
      BUILDOS: 'linux',
      BUILDPLATFORM: 'linux/amd64',
      TARGETARCH: reference.slice(2),
      TARGETPLATFORM: args.TARGETPLATFORM,
      TARGETVARIANT: args.TARGETVARIANT,
    });
  }
});

test('classic builder sets no platform ARGs', () => {
  const text = 'FROM a\nARG TARGETARCH\nARG BUILDPLATFORM\nCOPY bin-${TARGETARCH} /x\n';

  const classic = lastStage(resolve(text, { builder: 'classic' }));
  assert.deepEqual(classic.args, { TARGETARCH: null, BUILDPLATFORM: null });
  assert.deepEqual(classic.contextReads[0]?.sources, ['bin-']);

  const passed = lastStage(resolve(text, { builder: 'classic', buildArgs: { TARGETARCH: 'arm64' } }));
  assert.deepEqual(passed.contextReads[0]?.sources, ['bin-arm64']);

  const buildkit = lastStage(resolve(text, { builder: 'buildkit' }));
  assert.deepEqual(buildkit.contextReads[0]?.sources, ['bin-amd64']);
});

test('needed stages and bases', () => {
  const text = [
    'FROM scratch AS unused',
    'COPY never /',
    'FROM alpine AS Base',
    'FROM base AS tools',
    'FROM busybox AS other',
    'FROM base',
    'COPY --from=tools /t /t',
    'COPY --from=0 /x /x',
    'RUN --mount=type=cache,from=other,target=/c true',
    'COPY --from=nginx:1 /n /n',
    'RUN --mount=from=registry/img,source=/s,target=/m true',
  ].join('\n');

  const build = resolve(text);
  assert.deepEqual(
    build.stages.map((stage) => [stage.index, stage.name, stage.base.kind]),
    [
      [0, 'unused', 'scratch'],
      [1, 'base', 'image'],
      [2, 'tools', 'stage'],
      [3, 'other', 'image'],
      [4, undefined, 'stage'],
    ],
  );
  assert.equal(build.targetIndex, 4);
  assert.deepEqual(
    lastStage(build).imageUses.map((use) => [use.reference, use.via, use.location.line]),
    [
      ['nginx:1', 'COPY --from', 10],
      ['registry/img', 'RUN --mount from', 11],
    ],
  );
  assert.deepEqual(
    resolve(text, { target: 'TOOLS' }).stages.map((stage) => stage.index),
    [1, 2],
  );
});

test('context reads of COPY, ADD and bind mounts', () => {
  const text = [
    'FROM scratch',
    'ARG DIR=src',
    'ENV FILE=main.go',
    'COPY $DIR/$FILE ["./x"] /app/',
    'COPY --exclude=*.md --exclude=$DIR/tmp --parents ${DIR}/** /app/',
    'ADD https://example.com/a.tgz git@github.com:o/r.git https://example.com/r.git#v1 local.tgz /app/',
    'ADD --checksum=sha256:00 https://example.com/b.tgz /b',
    'COPY <<EOF /inline',
    'data',
    'EOF',
    'RUN --mount=type=bind,source=$DIR,target=/s --mount=type=bind,target=/all --mount=type=secret,id=x true',
    'COPY ["with space", "/d/"]',
  ].join('\n');

  const stage = lastStage(resolve(text));
  assert.deepEqual(
    stage.contextReads.map((read) => [read.instruction, read.sources, read.excludes, read.parents, read.wholeContext, read.location.line]),
    [
      ['COPY', ['src/main.go', '[./x]'], [], false, false, 4],
      ['COPY', ['src/**'], ['*.md', 'src/tmp'], true, false, 5],
      ['ADD', ['local.tgz'], [], false, false, 6],
      ['RUN --mount', ['src'], [], false, false, 11],
      ['RUN --mount', ['.'], [], false, false, 11],
      ['COPY', ['with space'], [], false, false, 12],
    ],
  );
  assert.deepEqual(
    stage.unverifiable.map((input) => [input.source, input.location.line]),
    [
      ['https://example.com/a.tgz', 6],
      ['git@github.com:o/r.git', 6],
      ['https://example.com/r.git#v1', 6],
    ],
  );
});

test('unknown base ENV makes the whole context count', () => {
  const text = 'FROM external\nARG LOCAL=l\nCOPY $LOCAL /a\nCOPY $FROM_BASE/x /b\nRUN --mount=source=${FROM_BASE},target=/m true\n';
  const cases: { facts: BaseImageFacts | undefined; whole: boolean[]; sources: string[][] }[] = [
    { facts: undefined, whole: [false, true, true], sources: [['l'], ['/x'], ['.']] },
    { facts: { env: { FROM_BASE: 'base' }, onbuild: [] }, whole: [false, false, false], sources: [['l'], ['base/x'], ['base']] },
  ];

  for (const { facts, whole, sources } of cases) {
    const stage = lastStage(resolve(text, { baseImage: () => facts }));
    assert.deepEqual(
      stage.contextReads.map((read) => read.wholeContext),
      whole,
    );
    assert.deepEqual(
      stage.contextReads.map((read) => read.sources),
      sources,
    );
  }
});

test('ONBUILD triggers run in the child', () => {
  // The triggers run right after FROM, so the child's later `ARG SRC` is not set yet for them.
  const base = parseDockerfile('base/Dockerfile', 'FROM alpine\nENV APP=/srv\nONBUILD COPY --chown=1 $SRC $APP\n');
  const baseBuild = resolveBuild(base, {
    buildArgs: {},
    target: undefined,
    platform: undefined,
    buildPlatform: 'linux/amd64',
    builder: 'buildkit',
    baseImage: () => undefined,
  });
  const baseStage = lastStage(baseBuild);
  const facts: BaseImageFacts = { env: { ...baseStage.env, PATH: '/bin' }, onbuild: baseStage.onbuildTriggers };

  const child = lastStage(
    resolve('FROM local/base\nARG SRC=app\nRUN x\n', { baseImage: (reference) => (reference === 'local/base' ? facts : undefined) }),
  );
  assert.deepEqual(
    child.instructions.map((instruction) => [instruction.keyword, instruction.text, instruction.location.file, instruction.location.line]),
    [
      ['FROM', 'local/base', 'Dockerfile', 1],
      ['COPY', '$SRC $APP', 'Dockerfile', 1],
      ['ARG', 'SRC=app', 'Dockerfile', 2],
      ['RUN', 'x', 'Dockerfile', 3],
    ],
  );
  assert.deepEqual(
    child.contextReads.map((read) => [read.sources, read.wholeContext, read.location.line]),
    [[['.'], false, 1]],
  );
  assert.deepEqual(baseStage.env, { APP: '/srv' });
  assert.deepEqual(lastStage(resolve('FROM scratch\nENV A=1\n')).env, {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    A: '1',
  });

  const local = lastStage(resolve('FROM scratch AS b\nONBUILD COPY f /f\nFROM b\n'));
  assert.deepEqual(
    local.contextReads.map((read) => [read.sources, read.location.line]),
    [[['f'], 3]],
  );
});

test('resolve errors name file and line', () => {
  const cases: [string, Partial<ResolveOptions>, string][] = [
    ['FROM a\n', { target: 'nope' }, 'target stage "nope" not found in Dockerfile, which names no stages; remove the target or add FROM … AS nope'],
    ['FROM a AS x\nFROM b AS y\n', { target: 'z' }, 'target stage "z" not found in Dockerfile, whose stages are x, y; use one of them'],
    ['ARG TAG\nFROM $TAG\n', {}, 'Dockerfile:2: base name $TAG expands to an empty string: give its ARG a value'],
    ['FROM a\nCOPY --from=0 /x /y\n', {}, 'Dockerfile:2: --from=0 names stage 0, which is not defined before the current stage 0: read from an earlier stage'],
    ['FROM a\nCOPY --from=5 /x /y\nFROM b\n', {}, 'Dockerfile:2: --from=5 names stage index 5, but the Dockerfile has 2 stages'],
    ['FROM a\nCOPY --from=later /x /y\nFROM b AS later\nFROM c\nCOPY --from=0 / /\n', {}, 'Dockerfile:2: --from=later names stage 1, which is not defined before the current stage 0: read from an earlier stage'],
    ['FROM a\nCOPY --from=$X /x /y\n', {}, 'Dockerfile:2: --from=$X cannot use variables: define a stage with FROM and name it in --from'],
    ['FROM scratch\nCOPY ${V:?unset} /y\n', {}, 'Dockerfile:2: cannot expand "${V:?unset}": V: unset'],
    ['FROM a\nRUN --mount=type=nfs true\n', {}, 'Dockerfile:2: unsupported mount type "nfs": use bind, cache, tmpfs, secret or ssh'],
  ];

  for (const [text, options, message] of cases) {
    assertRejects(text, options, message);
  }
});
