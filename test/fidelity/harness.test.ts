/** The fidelity harness's own parts: the tar listing, the case loader with its edits, and the image diff. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { CaseError, loadCases } from '../../fidelity/cases.js';
import { describeDifference, type ImageState } from '../../fidelity/engine.js';
import { listTar, type FileSystemEntry } from '../../fidelity/tar.js';

const folders: string[] = [];
after(() => {
  for (const folder of folders) {
    rmSync(folder, { recursive: true, force: true });
  }
});

function temporaryFolder(): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'imagesum-fidelity-test-'));
  folders.push(folder);
  return folder;
}

describe('listTar', () => {
  const root = temporaryFolder();
  const longName = `${'long-folder-name/'.repeat(8)}file.txt`;
  mkdirSync(path.join(root, 'src', path.dirname(longName)), { recursive: true });
  writeFileSync(path.join(root, 'src', 'run.sh'), 'echo run\n');
  chmodSync(path.join(root, 'src', 'run.sh'), 0o4755);
  writeFileSync(path.join(root, 'src', longName), 'long\n');
  symlinkSync('run.sh', path.join(root, 'src', 'link'));

  for (const format of ['gnu', 'pax']) {
    it(`reads a ${format} archive`, () => {
      const archive = execFileSync('tar', [`--format=${format}`, '-C', path.join(root, 'src'), '-c', '.']);
      const entries = listTar(archive);

      const script = entries.get('run.sh');
      assert.equal(script?.type, 'file');
      assert.equal(script?.mode, 0o4755);
      assert.equal(script?.sha256.length, 64);
      assert.equal(entries.get('link')?.type, 'symlink');
      assert.equal(entries.get('link')?.link, 'run.sh');
      assert.equal(entries.get(longName)?.type, 'file');
      assert.equal(entries.get('long-folder-name')?.type, 'directory');
    });
  }

  it('hashes file content', () => {
    const archive = execFileSync('tar', ['-C', path.join(root, 'src'), '-c', 'run.sh']);
    const expected = execFileSync('sha256sum', [path.join(root, 'src', 'run.sh')]).toString().split(' ')[0];
    assert.equal(listTar(archive).get('run.sh')?.sha256, expected);
  });

  it('rejects a truncated archive', () => {
    const archive = execFileSync('tar', ['-C', path.join(root, 'src'), '-c', 'run.sh']);
    assert.throws(() => listTar(archive.subarray(0, 515)), /truncated/);
  });
});

function writeCase(casesDir: string, id: string, text: string): void {
  mkdirSync(path.join(casesDir, path.dirname(id)), { recursive: true });
  writeFileSync(path.join(casesDir, `${id}.yaml`), text);
}

describe('loadCases', () => {
  it('applies rename, delete, chmod and args edits', () => {
    const casesDir = temporaryFolder();
    writeCase(
      casesDir,
      'demo/edits',
      [
        'about: edits',
        'files:',
        '  Dockerfile: "FROM scratch\\n"',
        '  dir/a.txt: a',
        '  dir/sub/b.txt: { content: b, mode: 600 }',
        '  gone.txt: g',
        'args: { MODE: one }',
        'edit:',
        '  - rename: { dir: moved }',
        '  - delete: gone.txt',
        '  - chmod: { moved/sub/b.txt: 755 }',
        '  - args: { MODE: null, OTHER: "2" }',
        '  - target: final',
        '',
      ].join('\n'),
    );
    const [loaded] = loadCases(casesDir);

    assert.deepEqual([...loaded!.after.tree.keys()].sort(), ['Dockerfile', 'moved/a.txt', 'moved/sub/b.txt']);
    assert.deepEqual(loaded!.after.tree.get('moved/sub/b.txt'), { type: 'file', content: 'b', mode: 0o755 });
    assert.deepEqual(loaded!.after.images[0]!.args, { OTHER: '2' });
    assert.equal(loaded!.after.images[0]!.target, 'final');
    assert.deepEqual(loaded!.before.images[0]!.args, { MODE: 'one' });
  });

  it('starts from the tree of the case named by from', () => {
    const casesDir = temporaryFolder();
    writeCase(casesDir, 'demo/base', 'about: base\nfiles: { Dockerfile: "FROM scratch\\n", a.txt: a }\nedit: { write: { a.txt: b } }\n');
    writeCase(casesDir, 'demo/derived', 'about: derived\nfrom: base\nfiles: { a.txt: null, c.txt: c }\nedit: { delete: c.txt }\n');
    const derived = loadCases(casesDir).find((item) => item.id === 'demo/derived')!;

    assert.deepEqual([...derived.before.tree.keys()].sort(), ['Dockerfile', 'c.txt']);
    assert.deepEqual([...derived.after.tree.keys()], ['Dockerfile']);
  });

  it('reads per-builder expectations', () => {
    const casesDir = temporaryFolder();
    writeCase(casesDir, 'demo/split', 'about: split\nfiles: { Dockerfile: "FROM scratch\\n" }\nedit: { mkdir: d }\nexpect: { buildkit: same, classic: differ }\n');
    const [loaded] = loadCases(casesDir);

    assert.deepEqual(loaded!.expect, { buildkit: 'same', classic: 'differ' });
    assert.deepEqual(loaded!.builders, ['buildkit', 'classic']);
  });

  it('rejects an unknown key', () => {
    const casesDir = temporaryFolder();
    writeCase(casesDir, 'demo/typo', 'about: typo\nfiles: {}\nedit: { mkdir: d }\nexpects: same\n');
    assert.throws(() => loadCases(casesDir), (error: unknown) => error instanceof CaseError && /unknown key 'expects'/.test(error.message));
  });

  it('rejects a delete of a missing path', () => {
    const casesDir = temporaryFolder();
    writeCase(casesDir, 'demo/missing', 'about: missing\nfiles: { a.txt: a }\nedit: { delete: b.txt }\n');
    assert.throws(() => loadCases(casesDir), /names b.txt, which is not in the tree/);
  });
});

describe('describeDifference', () => {
  const entry = (filePath: string, sha256: string): FileSystemEntry => ({ path: filePath, type: 'file', mode: 0o644, uid: 0, gid: 0, sha256, link: '' });
  const state = (files: FileSystemEntry[], env: string[]): ImageState => ({
    ok: true,
    digest: JSON.stringify([files, env]),
    files: new Map(files.map((file) => [file.path, file])),
    config: { Env: env },
  });

  it('lists added, removed and changed paths and config fields', () => {
    const before = state([entry('a', '1'), entry('b', '2')], ['A=1']);
    const now = state([entry('a', '9'), entry('c', '3')], ['A=2']);
    const lines = describeDifference(before, now);

    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^changed a file 0644 0:0 1 -> file 0644 0:0 9$/);
    assert.match(lines[1]!, /^removed b /);
    assert.match(lines[2]!, /^added c /);
    assert.equal(lines[3], 'config Env: ["A=1"] -> ["A=2"]');
  });

  it('reports a build that failed on one side', () => {
    const failed: ImageState = { ok: false, error: 'boom' };
    assert.deepEqual(describeDifference(state([], []), failed), ['before: built, after: build failed']);
  });
});
