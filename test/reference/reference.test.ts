import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ImagesumError } from '../../src/errors.js';
import {
  familiarString,
  matchKey,
  normalizedName,
  parseReference,
  podmanMatchKeys,
} from '../../src/reference/index.js';

const SHA = 'sha256:' + 'ab'.repeat(32);
const OTHER_SHA = 'sha256:' + 'cd'.repeat(32);

interface ParseCase {
  readonly text: string;
  readonly domain: string;
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  readonly normalized: string;
  readonly familiar: string;
  readonly key: string;
}

const parseCases: readonly ParseCase[] = [
  {
    text: 'ubuntu',
    domain: 'docker.io',
    path: 'library/ubuntu',
    tag: undefined,
    digest: undefined,
    normalized: 'docker.io/library/ubuntu:latest',
    familiar: 'ubuntu:latest',
    key: 'docker.io/library/ubuntu:latest',
  },
  {
    text: 'ubuntu:22.04',
    domain: 'docker.io',
    path: 'library/ubuntu',
    tag: '22.04',
    digest: undefined,
    normalized: 'docker.io/library/ubuntu:22.04',
    familiar: 'ubuntu:22.04',
    key: 'docker.io/library/ubuntu:22.04',
  },
  {
    text: 'docker.io/ubuntu',
    domain: 'docker.io',
    path: 'library/ubuntu',
    tag: undefined,
    digest: undefined,
    normalized: 'docker.io/library/ubuntu:latest',
    familiar: 'ubuntu:latest',
    key: 'docker.io/library/ubuntu:latest',
  },
  {
    text: 'index.docker.io/library/ubuntu:latest',
    domain: 'docker.io',
    path: 'library/ubuntu',
    tag: 'latest',
    digest: undefined,
    normalized: 'docker.io/library/ubuntu:latest',
    familiar: 'ubuntu:latest',
    key: 'docker.io/library/ubuntu:latest',
  },
  {
    text: 'index.docker.io/ubuntu',
    domain: 'docker.io',
    path: 'library/ubuntu',
    tag: undefined,
    digest: undefined,
    normalized: 'docker.io/library/ubuntu:latest',
    familiar: 'ubuntu:latest',
    key: 'docker.io/library/ubuntu:latest',
  },
  {
    text: 'user/app:1.0',
    domain: 'docker.io',
    path: 'user/app',
    tag: '1.0',
    digest: undefined,
    normalized: 'docker.io/user/app:1.0',
    familiar: 'user/app:1.0',
    key: 'docker.io/user/app:1.0',
  },
  {
    text: 'library/ubuntu',
    domain: 'docker.io',
    path: 'library/ubuntu',
    tag: undefined,
    digest: undefined,
    normalized: 'docker.io/library/ubuntu:latest',
    familiar: 'ubuntu:latest',
    key: 'docker.io/library/ubuntu:latest',
  },
  {
    text: 'docker.io/library/a/b',
    domain: 'docker.io',
    path: 'library/a/b',
    tag: undefined,
    digest: undefined,
    normalized: 'docker.io/library/a/b:latest',
    familiar: 'library/a/b:latest',
    key: 'docker.io/library/a/b:latest',
  },
  {
    text: 'localhost:5000/x',
    domain: 'localhost:5000',
    path: 'x',
    tag: undefined,
    digest: undefined,
    normalized: 'localhost:5000/x:latest',
    familiar: 'localhost:5000/x:latest',
    key: 'localhost:5000/x:latest',
  },
  {
    text: 'localhost:5000/x:5000',
    domain: 'localhost:5000',
    path: 'x',
    tag: '5000',
    digest: undefined,
    normalized: 'localhost:5000/x:5000',
    familiar: 'localhost:5000/x:5000',
    key: 'localhost:5000/x:5000',
  },
  {
    text: 'localhost/x',
    domain: 'localhost',
    path: 'x',
    tag: undefined,
    digest: undefined,
    normalized: 'localhost/x:latest',
    familiar: 'localhost/x:latest',
    key: 'localhost/x:latest',
  },
  {
    // Docker reads a single segment as a Docker Hub name even when it looks like a host and port.
    text: 'localhost:5000',
    domain: 'docker.io',
    path: 'library/localhost',
    tag: '5000',
    digest: undefined,
    normalized: 'docker.io/library/localhost:5000',
    familiar: 'localhost:5000',
    key: 'docker.io/library/localhost:5000',
  },
  {
    text: 'ghcr.io/org/team/app:v2',
    domain: 'ghcr.io',
    path: 'org/team/app',
    tag: 'v2',
    digest: undefined,
    normalized: 'ghcr.io/org/team/app:v2',
    familiar: 'ghcr.io/org/team/app:v2',
    key: 'ghcr.io/org/team/app:v2',
  },
  {
    text: '127.0.0.1:1/nothing:1',
    domain: '127.0.0.1:1',
    path: 'nothing',
    tag: '1',
    digest: undefined,
    normalized: '127.0.0.1:1/nothing:1',
    familiar: '127.0.0.1:1/nothing:1',
    key: '127.0.0.1:1/nothing:1',
  },
  {
    text: '[::1]:5000/x:y',
    domain: '[::1]:5000',
    path: 'x',
    tag: 'y',
    digest: undefined,
    normalized: '[::1]:5000/x:y',
    familiar: '[::1]:5000/x:y',
    key: '[::1]:5000/x:y',
  },
  {
    // An upper case first segment can only be a registry host, because repository names are lower case.
    text: 'Registry/app',
    domain: 'Registry',
    path: 'app',
    tag: undefined,
    digest: undefined,
    normalized: 'Registry/app:latest',
    familiar: 'Registry/app:latest',
    key: 'Registry/app:latest',
  },
  {
    text: `ubuntu@${SHA}`,
    domain: 'docker.io',
    path: 'library/ubuntu',
    tag: undefined,
    digest: SHA,
    normalized: `docker.io/library/ubuntu@${SHA}`,
    familiar: `ubuntu@${SHA}`,
    key: `docker.io/library/ubuntu@${SHA}`,
  },
  {
    text: `ubuntu:22.04@${SHA}`,
    domain: 'docker.io',
    path: 'library/ubuntu',
    tag: '22.04',
    digest: SHA,
    normalized: `docker.io/library/ubuntu:22.04@${SHA}`,
    familiar: `ubuntu:22.04@${SHA}`,
    key: `docker.io/library/ubuntu@${SHA}`,
  },
  {
    text: 'a__b-----c_d/e.f:_Tag.-x',
    domain: 'docker.io',
    path: 'a__b-----c_d/e.f',
    tag: '_Tag.-x',
    digest: undefined,
    normalized: 'docker.io/a__b-----c_d/e.f:_Tag.-x',
    familiar: 'a__b-----c_d/e.f:_Tag.-x',
    key: 'docker.io/a__b-----c_d/e.f:_Tag.-x',
  },
];

describe('parseReference', () => {
  for (const expected of parseCases) {
    it(`parses ${expected.text}`, () => {
      const ref = parseReference(expected.text);

      assert.equal(ref.domain, expected.domain);
      assert.equal(ref.path, expected.path);
      assert.equal(ref.tag, expected.tag);
      assert.equal(ref.digest, expected.digest);
      assert.equal(normalizedName(ref), expected.normalized);
      assert.equal(familiarString(ref), expected.familiar);
      assert.equal(matchKey(ref), expected.key);
    });
  }

  it('accepts sha512 digests', () => {
    const digest = 'sha512:' + 'a'.repeat(128);
    assert.equal(parseReference(`x@${digest}`).digest, digest);
  });

  it('accepts a 128-character tag', () => {
    const tag = 't'.repeat(128);
    assert.equal(parseReference(`x:${tag}`).tag, tag);
  });

  it('accepts a 255-character path', () => {
    // Docker counts the path after adding `library/`, so 255 characters need a namespace.
    const path = 'u/' + 'a'.repeat(253);
    assert.equal(parseReference(path + ':1').path, path);
  });
});

const errorCases: ReadonlyArray<readonly [string, string]> = [
  ['', 'invalid image reference "": the reference is empty; expected [registry/]repository[:tag][@digest], for example ubuntu:22.04'],
  ['Ubuntu', 'invalid image reference "Ubuntu": repository name "Ubuntu" must be lowercase; write "ubuntu"'],
  ['user/App:1', 'invalid image reference "user/App:1": repository name "user/App" must be lowercase; write "user/app"'],
  ['ubuntu:', 'invalid image reference "ubuntu:": invalid tag ""; a tag has 1 to 128 letters, digits, underscores, periods or dashes and does not start with a period or dash'],
  ['ubuntu:-x', 'invalid image reference "ubuntu:-x": invalid tag "-x"; a tag has 1 to 128 letters, digits, underscores, periods or dashes and does not start with a period or dash'],
  [`x:${'t'.repeat(129)}`, `invalid image reference "x:${'t'.repeat(129)}": invalid tag "${'t'.repeat(129)}"; a tag has 1 to 128 letters, digits, underscores, periods or dashes and does not start with a period or dash`],
  ['ubuntu@', 'invalid image reference "ubuntu@": invalid digest ""; expected sha256: followed by 64 lowercase hex digits'],
  ['ubuntu@sha256:abc', 'invalid image reference "ubuntu@sha256:abc": invalid digest "sha256:abc"; expected sha256: followed by 64 lowercase hex digits'],
  [`ubuntu@sha256:${'AB'.repeat(32)}`, `invalid image reference "ubuntu@sha256:${'AB'.repeat(32)}": invalid digest "sha256:${'AB'.repeat(32)}"; expected sha256: followed by 64 lowercase hex digits`],
  [`ubuntu@md5:${'ab'.repeat(16)}`, `invalid image reference "ubuntu@md5:${'ab'.repeat(16)}": invalid digest "md5:${'ab'.repeat(16)}"; expected sha256: followed by 64 lowercase hex digits`],
  [`ubuntu@${SHA}@${OTHER_SHA}`, `invalid image reference "ubuntu@${SHA}@${OTHER_SHA}": invalid digest "${SHA}@${OTHER_SHA}"; expected sha256: followed by 64 lowercase hex digits`],
  [':latest', 'invalid image reference ":latest": the repository name is missing; expected [registry/]repository[:tag][@digest], for example ubuntu:22.04'],
  [`@${SHA}`, `invalid image reference "@${SHA}": the repository name is missing; expected [registry/]repository[:tag][@digest], for example ubuntu:22.04`],
  ['ab'.repeat(32), `invalid image reference "${'ab'.repeat(32)}": a 64-character hex string is an image ID, not a repository name; write the image name instead`],
  ['a..b', 'invalid image reference "a..b": invalid repository name "library/a..b"; each /-separated part is lowercase letters and digits, joined by single periods, one or two underscores or dashes; expected [registry/]repository[:tag][@digest], for example ubuntu:22.04'],
  ['a___b', 'invalid image reference "a___b": invalid repository name "library/a___b"; each /-separated part is lowercase letters and digits, joined by single periods, one or two underscores or dashes; expected [registry/]repository[:tag][@digest], for example ubuntu:22.04'],
  ['-a', 'invalid image reference "-a": invalid repository name "library/-a"; each /-separated part is lowercase letters and digits, joined by single periods, one or two underscores or dashes; expected [registry/]repository[:tag][@digest], for example ubuntu:22.04'],
  ['a//b', 'invalid image reference "a//b": invalid repository name "a//b"; each /-separated part is lowercase letters and digits, joined by single periods, one or two underscores or dashes; expected [registry/]repository[:tag][@digest], for example ubuntu:22.04'],
  ['ghcr.io/', 'invalid image reference "ghcr.io/": invalid repository name ""; each /-separated part is lowercase letters and digits, joined by single periods, one or two underscores or dashes; expected [registry/]repository[:tag][@digest], for example ubuntu:22.04'],
  ['a b', 'invalid image reference "a b": invalid repository name "library/a b"; each /-separated part is lowercase letters and digits, joined by single periods, one or two underscores or dashes; expected [registry/]repository[:tag][@digest], for example ubuntu:22.04'],
  ['bad_host.io/x', 'invalid image reference "bad_host.io/x": invalid registry "bad_host.io"; write a host name or IP address with an optional :port'],
  ['host:port/x', 'invalid image reference "host:port/x": invalid registry "host:port"; write a host name or IP address with an optional :port'],
  [`${'a'.repeat(256)}:1`, `invalid image reference "${'a'.repeat(256)}:1": the repository name has 264 characters, more than the maximum of 255`],
];

describe('parseReference errors', () => {
  for (const [text, message] of errorCases) {
    it(`rejects ${JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text)}`, () => {
      assert.throws(
        () => parseReference(text),
        (error: unknown) => {
          assert.ok(error instanceof ImagesumError);
          assert.equal(error.kind, 'reference');
          assert.equal(error.message, message);
          return true;
        },
      );
    });
  }

  it('prefixes the source location', () => {
    assert.throws(() => parseReference('Ubuntu', { file: 'app/Dockerfile', line: 3 }), {
      message: 'app/Dockerfile:3: invalid image reference "Ubuntu": repository name "Ubuntu" must be lowercase; write "ubuntu"',
    });
  });
});

describe('matchKey', () => {
  const sameImage: ReadonlyArray<readonly string[]> = [
    ['x', 'docker.io/x', 'index.docker.io/library/x:latest', 'docker.io/library/x:latest', 'library/x:latest'],
    [`x@${SHA}`, `x:1@${SHA}`, `docker.io/library/x:2@${SHA}`],
    ['localhost:5000/x', 'localhost:5000/x:latest'],
  ];
  for (const group of sameImage) {
    it(`joins ${group[0]} with its aliases`, () => {
      const first = matchKey(parseReference(group[0]!));
      for (const text of group) {
        assert.equal(matchKey(parseReference(text)), first, text);
      }
    });
  }

  const differentImages: ReadonlyArray<readonly [string, string]> = [
    ['x', 'x:1'],
    ['x:1', `x:1@${SHA}`],
    [`x@${SHA}`, `x@${OTHER_SHA}`],
    [`x@${SHA}`, `y@${SHA}`],
    ['localhost/x', 'x'],
    ['localhost:5000/x', 'localhost:5001/x'],
    ['user/x', 'x'],
  ];
  for (const [a, b] of differentImages) {
    it(`separates ${a} from ${b.length > 20 ? b.slice(0, 20) + '…' : b}`, () => {
      assert.notEqual(matchKey(parseReference(a)), matchKey(parseReference(b)));
    });
  }
});

describe('podmanMatchKeys', () => {
  const cases: ReadonlyArray<readonly [string, readonly string[]]> = [
    ['x:1', ['docker.io/library/x:1', 'localhost/x:1']],
    ['x', ['docker.io/library/x:latest', 'localhost/x:latest']],
    ['user/x', ['docker.io/user/x:latest', 'localhost/user/x:latest']],
    ['library/x', ['docker.io/library/x:latest', 'localhost/library/x:latest']],
    [`x@${SHA}`, [`docker.io/library/x@${SHA}`, `localhost/x@${SHA}`]],
    ['docker.io/x', ['docker.io/library/x:latest']],
    ['localhost/x:1', ['localhost/x:1']],
    ['quay.io/x', ['quay.io/x:latest']],
  ];
  for (const [text, keys] of cases) {
    it(`lists keys of ${text.length > 20 ? text.slice(0, 20) + '…' : text}`, () => {
      assert.deepEqual(podmanMatchKeys(parseReference(text)), keys);
    });
  }

  it('matches a podman local tag', () => {
    const engineTag = matchKey(parseReference('localhost/x:1'));
    assert.ok(podmanMatchKeys(parseReference('x:1')).includes(engineTag));
  });
});
