import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { analyze } from '../../src/analysis.js';
import { makeTree } from '../support/tree.js';

/**
 * Property tests over generated trees. Each image is a chain link or a leaf on an earlier image, with a few
 * instructions drawn from a pool. Formatting edits must keep every checksum; a semantic edit must change the
 * edited image and every image built on it, and nothing else.
 */

interface ImageModel {
  readonly base: number | undefined;
  readonly lines: readonly string[];
}

const INSTRUCTIONS = [
  'RUN echo one > /one',
  'RUN echo "a  b" > /spaced',
  'ENV MODE=fast',
  'ARG LEVEL=3',
  'COPY data.txt /data.txt',
  'WORKDIR /work',
  'LABEL purpose=test',
  'CMD ["sh", "-c", "echo hi"]',
];

const imageArbitrary = (index: number) =>
  fc.record({
    base: index === 0 ? fc.constant(undefined) : fc.option(fc.nat({ max: index - 1 }), { nil: undefined }),
    lines: fc.array(fc.constantFrom(...INSTRUCTIONS), { minLength: 1, maxLength: 4 }),
  });

const treeArbitrary = fc.integer({ min: 2, max: 5 }).chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => imageArbitrary(i))));

type Formatting = 'comments' | 'blank-lines' | 'lower-case' | 'continuation' | 'comment-in-continuation';
const FORMATTINGS: readonly Formatting[] = ['comments', 'blank-lines', 'lower-case', 'continuation', 'comment-in-continuation'];

function baseLine(image: ImageModel): string {
  return image.base === undefined ? 'FROM scratch' : `FROM tree/image${image.base}`;
}

function render(image: ImageModel, formatting: ReadonlySet<Formatting>): string {
  const out: string[] = [];
  for (const line of [baseLine(image), ...image.lines]) {
    if (formatting.has('comments')) {
      out.push('# a comment that the builder drops');
    }

    let text = line;
    if (formatting.has('lower-case')) {
      const space = text.indexOf(' ');
      text = text.slice(0, space).toLowerCase() + text.slice(space);
    }
    // Splitting just before a space keeps that space at the start of the next line, so the joined text is unchanged.
    const split = text.indexOf(' ', text.indexOf(' ') + 1);
    if (split > 0 && formatting.has('continuation')) {
      const middle = formatting.has('comment-in-continuation') ? '\\\n  # dropped inside the continuation\n' : '\\\n';
      text = text.slice(0, split) + middle + text.slice(split);
    }
    out.push(text);

    if (formatting.has('blank-lines')) {
      out.push('', '   ');
    }
  }
  return `${out.join('\n')}\n`;
}

function checksumsOf(images: readonly ImageModel[], formatting: ReadonlySet<Formatting>, data: string): Map<string, string> {
  const files: Record<string, string> = {
    'imagesum.yaml': 'images:\n  - dockerfile: "{name}/Dockerfile"\n    name: tree/{name}\n',
  };
  images.forEach((image, index) => {
    files[`image${index}/Dockerfile`] = render(image, formatting);
    files[`image${index}/data.txt`] = data;
  });

  const tree = makeTree(files);
  try {
    const analysis = analyze({ cwd: tree.root, statCache: false });
    return new Map([...analysis.checksums].map(([name, result]) => [name, result.checksum]));
  } finally {
    tree.remove();
  }
}

/** Names of the edited image and every image that builds on it, directly or not. */
function affected(images: readonly ImageModel[], edited: number): Set<string> {
  const names = new Set([`tree/image${edited}:latest`]);
  for (let i = edited + 1; i < images.length; i++) {
    const base = images[i]?.base;
    if (base !== undefined && names.has(`tree/image${base}:latest`)) {
      names.add(`tree/image${i}:latest`);
    }
  }
  return names;
}

describe('checksum properties', () => {
  it('formatting-only edits keep every checksum', () => {
    fc.assert(
      fc.property(treeArbitrary, fc.subarray([...FORMATTINGS], { minLength: 1 }), (images, formattings) => {
        const plain = checksumsOf(images, new Set(), 'data');
        const formatted = checksumsOf(images, new Set(formattings), 'data');
        assert.deepEqual(formatted, plain);
      }),
      { numRuns: 60 },
    );
  });

  it('a semantic edit changes the image and its dependents only', () => {
    type Edit = 'run-text' | 'new-instruction' | 'arg-default' | 'inner-whitespace';
    const edits: readonly Edit[] = ['run-text', 'new-instruction', 'arg-default', 'inner-whitespace'];

    fc.assert(
      fc.property(treeArbitrary, fc.nat(), fc.constantFrom(...edits), (images, pick, edit) => {
        const edited = pick % images.length;
        const changed = images.map((image, index): ImageModel => {
          if (index !== edited) {
            return image;
          }
          switch (edit) {
            case 'run-text':
              return { ...image, lines: [...image.lines, 'RUN echo two > /two'] };
            case 'new-instruction':
              return { ...image, lines: [...image.lines, 'USER nobody'] };
            case 'arg-default':
              return { ...image, lines: [...image.lines, 'ARG EDITED=1', 'RUN echo "$EDITED" > /edited'] };
            case 'inner-whitespace':
              return { ...image, lines: ['RUN echo "a   b" > /spaced', ...image.lines] };
          }
        });

        const before = checksumsOf(images, new Set(), 'data');
        const after = checksumsOf(changed, new Set(), 'data');
        const expected = affected(images, edited);
        for (const [name, checksum] of before) {
          if (expected.has(name)) {
            assert.notEqual(after.get(name), checksum, `${name} should change after ${edit} on image${edited}`);
          } else {
            assert.equal(after.get(name), checksum, `${name} should keep its checksum after ${edit} on image${edited}`);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a copied file edit changes the copying images and their dependents', () => {
    fc.assert(
      fc.property(treeArbitrary, (images) => {
        const before = checksumsOf(images, new Set(), 'data');
        const after = checksumsOf(images, new Set(), 'other data');
        const copying = images.flatMap((image, index) => (image.lines.includes('COPY data.txt /data.txt') ? [index] : []));
        const expected = new Set(copying.flatMap((index) => [...affected(images, index)]));
        for (const [name, checksum] of before) {
          assert.equal(after.get(name) !== checksum, expected.has(name), `${name}: changed=${after.get(name) !== checksum}`);
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('unverifiable inputs', () => {
  it('pass from a base to its dependents', () => {
    const tree = makeTree({
      'imagesum.yaml': 'images:\n  - dockerfile: "{name}/Dockerfile"\n    name: t/{name}\n',
      'a/Dockerfile': 'FROM scratch\nADD https://example.com/x.tgz /x\n',
      'b/Dockerfile': 'FROM t/a\n',
      'c/Dockerfile': 'FROM scratch\nCOPY --from=t/b /x /x\n',
      'd/Dockerfile': `FROM scratch\nADD --checksum=sha256:${'a'.repeat(64)} https://example.com/y.tgz /y\n`,
    });
    try {
      const { checksums } = analyze({ cwd: tree.root, statCache: false });
      const source = 'https://example.com/x.tgz';
      assert.deepEqual(checksums.get('t/a:latest')?.unverifiable, [{ source, base: undefined }]);
      assert.deepEqual(checksums.get('t/b:latest')?.unverifiable, [{ source, base: 't/a:latest' }]);
      assert.deepEqual(checksums.get('t/c:latest')?.unverifiable, [{ source, base: 't/a:latest' }]);
      assert.deepEqual(checksums.get('t/d:latest')?.unverifiable, []);
    } finally {
      tree.remove();
    }
  });
});

describe('instruction normalisation', () => {
  const checksumOf = (dockerfile: string): string => {
    const tree = makeTree({ Dockerfile: dockerfile, 'a.txt': 'a' });
    try {
      return [...analyze({ cwd: tree.root, statCache: false }).checksums.values()][0]!.checksum;
    } finally {
      tree.remove();
    }
  };

  it('ignores spacing between COPY arguments', () => {
    assert.equal(checksumOf('FROM scratch\nCOPY a.txt   /a\n'), checksumOf('FROM scratch\nCOPY a.txt /a\n'));
  });

  it('keeps spacing inside RUN commands', () => {
    assert.notEqual(checksumOf('FROM scratch\nRUN echo "a  b"\n'), checksumOf('FROM scratch\nRUN echo "a b"\n'));
  });
});
