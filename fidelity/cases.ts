import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { parse as parseYaml } from 'yaml';

export type BuilderName = 'buildkit' | 'classic';
export const BUILDERS: readonly BuilderName[] = ['buildkit', 'classic'];

/** One entry of a case's tree, at a path relative to the tree root. */
export type TreeEntry =
  | { readonly type: 'file'; readonly content: string; readonly mode: number }
  | { readonly type: 'symlink'; readonly target: string }
  | { readonly type: 'directory'; readonly mode: number };

export type Tree = ReadonlyMap<string, TreeEntry>;

/** One image of a case, as written to `imagesum.yaml` and passed to `docker build`. */
export interface ImageSpec {
  readonly name: string;
  /** Path of the Dockerfile relative to the tree root. */
  readonly dockerfile: string;
  /** Path of the build context relative to the tree root. */
  readonly context: string;
  readonly args: Readonly<Record<string, string>>;
  readonly target: string | undefined;
}

/** Everything that one build of a case reads: the files and the image specs. */
export interface CaseState {
  readonly tree: Tree;
  readonly images: readonly ImageSpec[];
}

export type ImageOutcome = 'same' | 'differ';
export type ChecksumOutcome = 'changed' | 'unchanged';
export type BuildFailure = 'before' | 'after' | 'both';

export interface FidelityCase {
  /** `<category>/<name>`, from the file's path below the cases folder. */
  readonly id: string;
  readonly category: string;
  readonly file: string;
  readonly about: string;
  readonly before: CaseState;
  readonly after: CaseState;
  /** Name of the image whose before and after builds are compared; the last image by default. */
  readonly check: string;
  /** Builders that can build this case; empty when no builder here supports the Dockerfile. */
  readonly builders: readonly BuilderName[];
  /** The oracle's expected result per builder, which checks that the case tests what it claims. */
  readonly expect: Partial<Record<BuilderName, ImageOutcome>>;
  /** For cases no builder here can build: the checksum change the documented semantics predict. */
  readonly expectChecksum: Partial<Record<BuilderName, ChecksumOutcome>>;
  /** The build expected to fail, per builder; a failed build counts as an image of its own. */
  readonly buildFails: Partial<Record<BuilderName, BuildFailure>>;
  readonly nondeterministic: Partial<Record<BuilderName, string>>;
  readonly knownMismatch: Partial<Record<BuilderName, string>>;
  /**
   * Builds with the build cache. By default every build runs with `--no-cache`, so a step's result never
   * comes from another case, and a builder whose cache key misses an input cannot hide the change.
   */
  readonly cache: boolean;
}

/** The placeholder in file contents and image names that stands for the case's unique tag prefix. */
export const CASE_PLACEHOLDER = '@CASE@';

const CASE_KEYS = new Set([
  'about',
  'from',
  'files',
  'args',
  'target',
  'images',
  'check',
  'edit',
  'builders',
  'expect',
  'expectChecksum',
  'buildFails',
  'nondeterministic',
  'knownMismatch',
  'cache',
]);

type RawCase = Record<string, unknown>;

export class CaseError extends Error {}

/** Loads every `<category>/<name>.yaml` below `casesDir`, sorted by id. Raises a CaseError naming the file. */
export function loadCases(casesDir: string): FidelityCase[] {
  const raw = new Map<string, { file: string; data: RawCase }>();
  for (const category of readdirSync(casesDir, { withFileTypes: true })) {
    if (!category.isDirectory()) {
      continue;
    }
    for (const entry of readdirSync(path.join(casesDir, category.name))) {
      if (!entry.endsWith('.yaml')) {
        continue;
      }
      const file = path.join(casesDir, category.name, entry);
      let data: unknown;
      try {
        data = parseYaml(readFileSync(file, 'utf8'));
      } catch (error) {
        throw new CaseError(`${file}: invalid YAML: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!isRecord(data)) {
        throw new CaseError(`${file}: a case must be a YAML mapping`);
      }
      raw.set(`${category.name}/${entry.slice(0, -'.yaml'.length)}`, { file, data });
    }
  }

  const cases = [...raw.keys()].sort().map((id) => buildCase(id, raw));
  return cases;
}

function buildCase(id: string, raw: ReadonlyMap<string, { file: string; data: RawCase }>): FidelityCase {
  const { file, data } = raw.get(id)!;
  const fail = (message: string): never => {
    throw new CaseError(`${file}: ${message}`);
  };
  for (const key of Object.keys(data)) {
    if (!CASE_KEYS.has(key)) {
      fail(`unknown key '${key}'; known keys: ${[...CASE_KEYS].join(', ')}`);
    }
  }

  const before = beforeState(id, raw, new Set());
  const edits = data['edit'] === undefined ? fail("missing 'edit'") : data['edit'];
  const images = before.images;
  const check = data['check'] === undefined ? images[images.length - 1]!.name : String(data['check']);
  if (!images.some((image) => image.name === check)) {
    fail(`'check' names ${check}, which is not one of the case's images`);
  }
  const after = applyEdits(before, Array.isArray(edits) ? edits : [edits], check, fail);

  const builders = data['builders'] === undefined ? [...BUILDERS] : asStringList(data['builders'], 'builders', fail);
  for (const builder of builders) {
    if (!BUILDERS.includes(builder as BuilderName)) {
      fail(`unknown builder '${builder}' in 'builders'; use buildkit or classic`);
    }
  }
  const expectChecksum = perBuilder(data['expectChecksum'], 'expectChecksum', ['changed', 'unchanged'], fail);
  if (builders.length === 0 && Object.keys(expectChecksum).length === 0) {
    fail("a case that no builder builds ('builders: []') needs 'expectChecksum'");
  }

  return {
    id,
    category: id.split('/')[0]!,
    file,
    about: typeof data['about'] === 'string' ? data['about'].trim() : fail("missing 'about': one sentence on what the case checks"),
    before,
    after,
    check,
    builders: builders as BuilderName[],
    expect: perBuilder(data['expect'], 'expect', ['same', 'differ'], fail),
    expectChecksum,
    buildFails: perBuilder(data['buildFails'], 'buildFails', ['before', 'after', 'both'], fail),
    nondeterministic: perBuilder(data['nondeterministic'], 'nondeterministic', undefined, fail),
    knownMismatch: perBuilder(data['knownMismatch'], 'knownMismatch', undefined, fail),
    cache: data['cache'] === true,
  };
}

/** Builds the tree before the edit, starting from the `from` case's tree when one is named. */
function beforeState(id: string, raw: ReadonlyMap<string, { file: string; data: RawCase }>, seen: Set<string>): CaseState {
  const { file, data } = raw.get(id)!;
  const fail = (message: string): never => {
    throw new CaseError(`${file}: ${message}`);
  };
  if (seen.has(id)) {
    fail(`'from' cases form a cycle through ${[...seen].join(', ')}`);
  }
  seen.add(id);

  let tree = new Map<string, TreeEntry>();
  let images: ImageSpec[] | undefined;
  if (data['from'] !== undefined) {
    const from = String(data['from']);
    const fromId = from.includes('/') ? from : `${id.split('/')[0]}/${from}`;
    if (!raw.has(fromId)) {
      fail(`'from' names ${fromId}, which is not a case`);
    }
    const base = beforeState(fromId, raw, seen);
    tree = new Map(base.tree);
    images = [...base.images];
  }

  const files = data['files'] ?? {};
  if (!isRecord(files)) {
    fail("'files' must map paths to contents");
  }
  for (const [filePath, spec] of Object.entries(files as RawCase)) {
    if (spec === null) {
      tree.delete(filePath);
    } else {
      tree.set(checkedPath(filePath, fail), treeEntry(spec, filePath, fail));
    }
  }

  if (data['images'] !== undefined) {
    images = asList(data['images'], 'images', fail).map((image) => imageSpec(image, fail));
  }
  if (images === undefined) {
    images = [{ name: `imagesum-fidelity/${CASE_PLACEHOLDER}`, dockerfile: 'Dockerfile', context: '.', args: {}, target: undefined }];
  }
  if (data['args'] !== undefined || data['target'] !== undefined) {
    const last = images[images.length - 1]!;
    images[images.length - 1] = {
      ...last,
      args: data['args'] === undefined ? last.args : stringMap(data['args'], 'args', fail),
      target: data['target'] === undefined ? last.target : String(data['target']),
    };
  }
  return { tree, images };
}

function imageSpec(value: unknown, fail: (message: string) => never): ImageSpec {
  if (!isRecord(value) || typeof value['name'] !== 'string' || typeof value['dockerfile'] !== 'string') {
    return fail("each entry of 'images' needs 'name' and 'dockerfile'");
  }
  return {
    name: value['name'],
    dockerfile: checkedPath(value['dockerfile'], fail),
    context: value['context'] === undefined ? path.posix.dirname(value['dockerfile']) : String(value['context']),
    args: value['args'] === undefined ? {} : stringMap(value['args'], 'images[].args', fail),
    target: value['target'] === undefined ? undefined : String(value['target']),
  };
}

/**
 * Parses one file spec: a string is a file with mode 644; a mapping has `content` and `mode`, `symlink`,
 * or `directory: true`. Modes are octal digits, written as a string or a YAML number (`755`).
 */
function treeEntry(spec: unknown, filePath: string, fail: (message: string) => never): TreeEntry {
  if (typeof spec === 'string') {
    return { type: 'file', content: spec, mode: 0o644 };
  }
  if (!isRecord(spec)) {
    return fail(`${filePath}: a file is a string or a mapping with content, symlink or directory`);
  }
  if (typeof spec['symlink'] === 'string') {
    return { type: 'symlink', target: spec['symlink'] };
  }
  if (spec['directory'] === true) {
    return { type: 'directory', mode: octalMode(spec['mode'] ?? '755', filePath, fail) };
  }
  if (typeof spec['content'] !== 'string') {
    return fail(`${filePath}: a file mapping needs 'content', 'symlink' or 'directory: true'`);
  }
  return { type: 'file', content: spec['content'], mode: octalMode(spec['mode'] ?? '644', filePath, fail) };
}

function octalMode(value: unknown, filePath: string, fail: (message: string) => never): number {
  const digits = String(value);
  if (!/^[0-7]{3,4}$/.test(digits)) {
    fail(`${filePath}: mode '${digits}' is not 3 or 4 octal digits`);
  }
  return parseInt(digits, 8);
}

function checkedPath(filePath: string, fail: (message: string) => never): string {
  const clean = path.posix.normalize(filePath);
  if (clean.startsWith('../') || clean.startsWith('/') || clean === '.' || clean !== filePath) {
    fail(`path '${filePath}' must be relative, normalized and inside the tree`);
  }
  return clean;
}

/**
 * Applies the edit operations in order. Each operation is a mapping with one key:
 * - `write`: paths to file specs;
 * - `delete` and `mkdir`: a path or a list of paths;
 * - `chmod`: paths to modes;
 * - `symlink`: paths to link targets;
 * - `rename`: old paths to new paths, moving everything below a folder;
 * - `args`: names to values, where `null` removes the arg, for the checked image;
 * - `target`: a stage name, or `null` for none, for the checked image.
 */
function applyEdits(state: CaseState, edits: unknown[], check: string, fail: (message: string) => never): CaseState {
  const tree = new Map(state.tree);
  let images = [...state.images];

  for (const edit of edits) {
    if (!isRecord(edit) || Object.keys(edit).length !== 1) {
      fail("each edit is a mapping with one key: write, delete, chmod, symlink, rename, mkdir, args or target");
    }
    const [operation, operand] = Object.entries(edit as RawCase)[0]!;
    switch (operation) {
      case 'write':
        for (const [filePath, spec] of Object.entries(asRecord(operand, 'write', fail))) {
          tree.set(checkedPath(filePath, fail), treeEntry(spec, filePath, fail));
        }
        break;
      case 'delete':
        for (const filePath of asStringList(operand, 'delete', fail)) {
          const removed = removeBelow(tree, filePath);
          if (removed.size === 0) {
            fail(`edit 'delete' names ${filePath}, which is not in the tree`);
          }
        }
        break;
      case 'chmod':
        for (const [filePath, mode] of Object.entries(asRecord(operand, 'chmod', fail))) {
          const entry = tree.get(filePath);
          if (entry === undefined || entry.type === 'symlink') {
            fail(`edit 'chmod' names ${filePath}, which is not a file or folder of the tree`);
          } else {
            tree.set(filePath, { ...entry, mode: octalMode(mode, filePath, fail) });
          }
        }
        break;
      case 'symlink':
        for (const [filePath, target] of Object.entries(asRecord(operand, 'symlink', fail))) {
          removeBelow(tree, filePath);
          tree.set(checkedPath(filePath, fail), { type: 'symlink', target: String(target) });
        }
        break;
      case 'rename':
        for (const [from, to] of Object.entries(asRecord(operand, 'rename', fail))) {
          const moved = removeBelow(tree, from);
          if (moved.size === 0) {
            fail(`edit 'rename' names ${from}, which is not in the tree`);
          }
          for (const [oldPath, entry] of moved) {
            tree.set(checkedPath(String(to) + oldPath.slice(from.length), fail), entry);
          }
        }
        break;
      case 'mkdir':
        for (const filePath of asStringList(operand, 'mkdir', fail)) {
          tree.set(checkedPath(filePath, fail), { type: 'directory', mode: 0o755 });
        }
        break;
      case 'args':
      case 'target':
        images = images.map((image) => (image.name === check ? editImage(image, operation, operand, fail) : image));
        break;
      default:
        fail(`unknown edit '${operation}'; use write, delete, chmod, symlink, rename, mkdir, args or target`);
    }
  }
  return { tree, images };
}

function editImage(image: ImageSpec, operation: 'args' | 'target', operand: unknown, fail: (message: string) => never): ImageSpec {
  if (operation === 'target') {
    return { ...image, target: operand === null ? undefined : String(operand) };
  }
  const args: Record<string, string> = { ...image.args };
  for (const [name, value] of Object.entries(asRecord(operand, 'args', fail))) {
    if (value === null) {
      delete args[name];
    } else {
      args[name] = String(value);
    }
  }
  return { ...image, args };
}

/** Removes `filePath` and everything below it, and returns what was removed. */
function removeBelow(tree: Map<string, TreeEntry>, filePath: string): Map<string, TreeEntry> {
  const removed = new Map<string, TreeEntry>();
  for (const [entryPath, entry] of tree) {
    if (entryPath === filePath || entryPath.startsWith(`${filePath}/`)) {
      removed.set(entryPath, entry);
      tree.delete(entryPath);
    }
  }
  return removed;
}

/** Reads a value given once for all builders, or as a mapping per builder. */
function perBuilder<T extends string>(
  value: unknown,
  key: string,
  allowed: readonly T[] | undefined,
  fail: (message: string) => never,
): Partial<Record<BuilderName, T>> {
  if (value === undefined) {
    return {};
  }
  const entries: [string, unknown][] = isRecord(value) ? Object.entries(value) : BUILDERS.map((builder) => [builder, value]);
  const result: Partial<Record<BuilderName, T>> = {};
  for (const [builder, item] of entries) {
    if (!BUILDERS.includes(builder as BuilderName)) {
      fail(`'${key}' names unknown builder '${builder}'; use buildkit or classic`);
    }
    const text = String(item).trim();
    if (allowed !== undefined && !allowed.includes(text as T)) {
      fail(`'${key}' must be one of ${allowed.join(', ')}, not '${text}'`);
    }
    result[builder as BuilderName] = text as T;
  }
  return result;
}

function stringMap(value: unknown, key: string, fail: (message: string) => never): Record<string, string> {
  return Object.fromEntries(Object.entries(asRecord(value, key, fail)).map(([name, item]) => [name, String(item)]));
}

function asRecord(value: unknown, key: string, fail: (message: string) => never): RawCase {
  return isRecord(value) ? value : fail(`'${key}' must be a mapping`);
}

function asList(value: unknown, key: string, fail: (message: string) => never): unknown[] {
  if (typeof value === 'string') {
    return [value];
  }
  return Array.isArray(value) ? value : fail(`'${key}' must be a list`);
}

function asStringList(value: unknown, key: string, fail: (message: string) => never): string[] {
  return asList(value, key, fail).map(String);
}

function isRecord(value: unknown): value is RawCase {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
