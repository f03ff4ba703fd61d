import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';

import { ImagesumError, type SourceLocation } from '../errors.js';
import type { BuilderKind } from '../dockerfile/types.js';

/** One `images:` entry as written, with the location of each value for error messages. */
export interface ImageEntry {
  readonly dockerfile: string;
  readonly name: string;
  readonly context: string | undefined;
  readonly args: Readonly<Record<string, string>>;
  readonly target: string | undefined;
  readonly platform: string | undefined;
  readonly location: SourceLocation;
}

export interface ConfigFile {
  readonly file: string;
  readonly args: Readonly<Record<string, string>>;
  readonly builder: BuilderKind | undefined;
  readonly images: readonly ImageEntry[];
}

export const DEFAULT_CONFIG_NAME = 'imagesum.yaml';

const TOP_LEVEL_KEYS = ['args', 'builder', 'images'] as const;
const ENTRY_KEYS = ['dockerfile', 'name', 'context', 'args', 'target', 'platform'] as const;
const BUILDERS: readonly BuilderKind[] = ['buildkit', 'classic'];

/** Reads and validates a config file. `display` is the path used in messages. */
export function readConfigFile(file: string, display: string): ConfigFile {
  if (!existsSync(file)) {
    throw new ImagesumError('config', `config file ${display} not found; create it or drop --config to discover Dockerfiles`);
  }

  const text = readFileSync(file, 'utf8');
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const locate = (node: Node | null | undefined): SourceLocation => ({
    file: display,
    line: node?.range ? lines.linePos(node.range[0]).line : 1,
  });

  const [firstError] = document.errors;
  if (firstError !== undefined) {
    const line = firstError.linePos?.[0].line ?? 1;
    // The yaml package appends the position and an excerpt; the message already starts with file:line.
    const reason = (firstError.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new ImagesumError('config', `invalid YAML: ${reason}`, { file: display, line });
  }

  const root = document.contents;
  if (root === null) {
    throw new ImagesumError('config', 'the config is empty; add an images: list', locate(root));
  }
  if (!isMap(root)) {
    throw new ImagesumError('config', 'the config must be a mapping with the keys args, builder and images', locate(root));
  }

  return readTopLevel(root, file, locate);
}

function readTopLevel(root: YAMLMap, file: string, locate: (node: Node | null | undefined) => SourceLocation): ConfigFile {
  checkKeys(root, TOP_LEVEL_KEYS, 'the config', locate);

  const args = readArgs(root.get('args', true) as Node | undefined, 'args', locate);
  const builderNode = root.get('builder', true) as Node | undefined;
  const builder = builderNode === undefined ? undefined : readBuilder(builderNode, locate);

  const imagesNode = root.get('images', true) as Node | undefined;
  if (imagesNode === undefined) {
    throw new ImagesumError('config', 'missing key images: list the Dockerfiles to build', locate(root));
  }
  if (!isSeq(imagesNode)) {
    throw new ImagesumError('config', 'images must be a list of entries with dockerfile and name', locate(imagesNode));
  }

  const images = imagesNode.items.map((item, index) => readEntry(item as Node, `images[${index}]`, locate));
  return { file, args, builder, images };
}

function readEntry(node: Node, key: string, locate: (node: Node | null | undefined) => SourceLocation): ImageEntry {
  if (!isMap(node)) {
    throw new ImagesumError('config', `${key} must be a mapping with dockerfile and name`, locate(node));
  }
  checkKeys(node, ENTRY_KEYS, key, locate);

  const dockerfile = readString(node, 'dockerfile', key, locate, true);
  const name = readString(node, 'name', key, locate, true);
  return {
    dockerfile: dockerfile as string,
    name: name as string,
    context: readString(node, 'context', key, locate, false),
    args: readArgs(node.get('args', true) as Node | undefined, `${key}.args`, locate),
    target: readString(node, 'target', key, locate, false),
    platform: readString(node, 'platform', key, locate, false),
    location: locate(node),
  };
}

function readString(
  map: YAMLMap,
  field: string,
  parent: string,
  locate: (node: Node | null | undefined) => SourceLocation,
  required: boolean,
): string | undefined {
  const node = map.get(field, true) as Node | undefined;
  if (node === undefined) {
    if (required) {
      throw new ImagesumError('config', `${parent} is missing the key ${field}`, locate(map));
    }
    return undefined;
  }

  if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') {
    throw new ImagesumError('config', `${parent}.${field} must be a non-empty string`, locate(node));
  }
  return node.value;
}

function readArgs(node: Node | undefined, key: string, locate: (node: Node | null | undefined) => SourceLocation): Record<string, string> {
  if (node === undefined) {
    return {};
  }
  if (!isMap(node)) {
    throw new ImagesumError('config', `${key} must be a mapping of build arg names to values`, locate(node));
  }

  const args: Record<string, string> = {};
  for (const pair of node.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new ImagesumError('config', `${key} has an invalid build arg name ${JSON.stringify(name)}; use letters, digits and _`, locate(pair.key as Node));
    }

    const value = pair.value as Node | null;
    if (!isScalar(value) || !['string', 'number', 'boolean'].includes(typeof value.value)) {
      throw new ImagesumError('config', `${key}.${name} must be a string, number or boolean`, locate(value ?? (pair.key as Node)));
    }
    // YAML 1.2 reads `1.10` as a number; the source text keeps what the user wrote.
    args[name] = typeof value.value === 'string' ? value.value : (value.source ?? String(value.value));
  }
  return args;
}

function readBuilder(node: Node, locate: (node: Node | null | undefined) => SourceLocation): BuilderKind {
  const value = isScalar(node) ? node.value : undefined;
  if (typeof value !== 'string' || !(BUILDERS as readonly string[]).includes(value)) {
    throw new ImagesumError('config', `builder must be one of ${BUILDERS.join(', ')}, not ${JSON.stringify(value ?? null)}`, locate(node));
  }
  return value as BuilderKind;
}

function checkKeys(
  map: YAMLMap,
  allowed: readonly string[],
  parent: string,
  locate: (node: Node | null | undefined) => SourceLocation,
): void {
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!allowed.includes(key)) {
      throw new ImagesumError('config', `unknown key ${JSON.stringify(key)} in ${parent}; allowed keys are ${allowed.join(', ')}`, locate(pair.key as Node));
    }
  }
}

/** Resolves the config file for a run: `--config` if given, else `imagesum.yaml` in the working folder. */
export function findConfigFile(cwd: string, configOption: string | undefined): string | undefined {
  if (configOption !== undefined) {
    return path.resolve(cwd, configOption);
  }

  const candidate = path.join(cwd, DEFAULT_CONFIG_NAME);
  return existsSync(candidate) ? candidate : undefined;
}
