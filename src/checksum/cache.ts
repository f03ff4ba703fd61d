import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';

import type { BuildContext } from '../context/types.js';
import { canonicalJson, isImageChecksum, sha256Hex, type ImageChecksum } from '../digest.js';
import type { ImageGraph, ImageNode } from '../graph/types.js';
import type { ImageReference } from '../reference/index.js';
import { currentTimeNs, RACY_WINDOW_NS, writeFileAtomically } from '../state-files.js';
import type { ExternalIdentity } from './manifest.js';

const MAGIC = 'imagesum-checksum-cache';
export const CHECKSUM_CACHE_VERSION = 1;
const KEY_PATTERN = /^[0-9a-f]{64}$/;

/** The checksum of one image in an earlier run, with the keys of what it was computed from. */
interface StoredChecksum {
  /** Digest of the graph's inputs, the image's name and its context's fingerprint; see `localKey`. */
  readonly localKey: string;
  /** Digest of `localKey`, the base checksums and the external identities; see `ChecksumReuse.find`. */
  readonly inputsKey: string;
  readonly checksum: ImageChecksum;
}

/** A checksum of this run, with the newest file change in its context for the racy check at save time. */
interface RecordedChecksum extends StoredChecksum {
  readonly newestFileChangeNs: bigint;
}

/**
 * Image checksums kept between runs, so that a run whose inputs match the last one skips selecting context
 * files and hashing manifests. The file is one header line `imagesum-checksum-cache <version> <sha256 of
 * the body>` and a JSON body. A file with another version, a bad checksum or a malformed body is ignored.
 */
export class ChecksumCache {
  private readonly recorded = new Map<string, RecordedChecksum>();

  constructor(
    private readonly stored: ReadonlyMap<string, StoredChecksum> = new Map(),
    /** Reason the loaded file was ignored, or `undefined` when it was used or absent. */
    readonly rejection?: string,
  ) {}

  /** Returns the stored entry of an image when its local key matches. */
  storedFor(name: string, localKey: string): StoredChecksum | undefined {
    const entry = this.stored.get(name);
    return entry?.localKey === localKey ? entry : undefined;
  }

  record(name: string, entry: RecordedChecksum): void {
    this.recorded.set(name, entry);
  }

  /** Reports whether saving would change the file: an entry differs, or an image was added or removed. */
  get needsSave(): boolean {
    if (this.recorded.size !== this.stored.size) {
      return true;
    }
    for (const [name, entry] of this.recorded) {
      const stored = this.stored.get(name);
      if (stored === undefined || stored.inputsKey !== entry.inputsKey || stored.checksum !== entry.checksum) {
        return true;
      }
    }
    return false;
  }

  /** Encodes the entries recorded in this run, leaving out images whose context has a file within the racy window. */
  serialize(writtenAtNs: bigint): string {
    const rows: [string, string, string, string][] = [];
    for (const [name, entry] of this.recorded) {
      if (entry.newestFileChangeNs < writtenAtNs - RACY_WINDOW_NS) {
        rows.push([name, entry.localKey, entry.inputsKey, entry.checksum]);
      }
    }
    const body = JSON.stringify({ entries: rows });
    return `${MAGIC} ${CHECKSUM_CACHE_VERSION} ${sha256Hex(body)}\n${body}`;
  }

  /** Decodes `serialize` output; returns an empty cache with `rejection` set for anything else. */
  static parse(text: string): ChecksumCache {
    const newline = text.indexOf('\n');
    const header = text.slice(0, newline < 0 ? 0 : newline).split(' ');
    const body = text.slice(newline + 1);
    if (newline < 0 || header.length !== 3 || header[0] !== MAGIC) {
      return new ChecksumCache(undefined, 'not an imagesum checksum cache');
    }
    if (header[1] !== String(CHECKSUM_CACHE_VERSION)) {
      return new ChecksumCache(undefined, `unsupported version ${header[1] ?? ''}`);
    }
    if (header[2] !== sha256Hex(body)) {
      return new ChecksumCache(undefined, 'checksum mismatch (truncated or damaged)');
    }

    const entries = decodeBody(body);
    return entries === undefined ? new ChecksumCache(undefined, 'body has an unexpected shape') : new ChecksumCache(entries);
  }
}

function decodeBody(body: string): Map<string, StoredChecksum> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  const rows = typeof value === 'object' && value !== null ? (value as { entries?: unknown }).entries : undefined;
  if (!Array.isArray(rows)) {
    return undefined;
  }

  const entries = new Map<string, StoredChecksum>();
  for (const row of rows) {
    if (!Array.isArray(row) || row.length !== 4 || typeof row[0] !== 'string') {
      return undefined;
    }
    const [name, localKey, inputsKey, checksum] = row as [string, unknown, unknown, unknown];
    if (typeof localKey !== 'string' || !KEY_PATTERN.test(localKey) || typeof inputsKey !== 'string' || !KEY_PATTERN.test(inputsKey)) {
      return undefined;
    }
    if (typeof checksum !== 'string' || !isImageChecksum(checksum)) {
      return undefined;
    }
    entries.set(name, { localKey, inputsKey, checksum });
  }
  return entries;
}

/** Loads the cache file. A missing file gives an empty cache; an unreadable or invalid one an empty cache with a rejection. */
export function loadChecksumCache(file: string): ChecksumCache {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return new ChecksumCache();
    }
    return new ChecksumCache(undefined, `unreadable: ${error instanceof Error ? error.message : String(error)}`);
  }
  return ChecksumCache.parse(text);
}

/**
 * Writes the cache atomically, without a flush because the header checksum catches a file that a crash
 * left damaged. The racy window counts back from a time taken before writing.
 */
export function saveChecksumCache(cache: ChecksumCache, file: string): void {
  const writtenAtNs = currentTimeNs(dirname(file));
  writeFileAtomically(file, cache.serialize(writtenAtNs), { flush: false });
}

/** The calls through which `computeChecksums` reuses an image's checksum of the last run. */
export interface ChecksumReuse {
  /** Reports whether the image's graph node and context match the last run, so reading its selections now can wait. */
  matchesLocally(node: ImageNode): boolean;
  /** Returns the checksum of the last run when every input of the image is unchanged. */
  find(node: ImageNode, baseChecksum: (name: string) => ImageChecksum, identify: (reference: ImageReference) => ExternalIdentity): ImageChecksum | undefined;
  /** Records the checksum this run computed or reused, for the next run. */
  record(node: ImageNode, checksum: ImageChecksum): void;
}

/**
 * Creates the reuse rules for one run over a cache. Nothing is reused or recorded for a graph without an
 * `inputsDigest`, because then a Dockerfile or the config was too new to stand for its content.
 */
export function checksumReuse(graph: ImageGraph, cache: ChecksumCache, openContext: (node: ImageNode) => BuildContext): ChecksumReuse {
  const local = new Map<string, { key: string; newestFileChangeNs: bigint } | undefined>();
  const inputs = new Map<string, string>();

  const localOf = (node: ImageNode) => {
    if (!local.has(node.spec.name)) {
      local.set(node.spec.name, localKey(graph, node, openContext));
    }
    return local.get(node.spec.name);
  };

  return {
    matchesLocally(node) {
      const key = localOf(node);
      return key !== undefined && cache.storedFor(node.spec.name, key.key) !== undefined;
    },

    find(node, baseChecksum, identify) {
      const key = localOf(node);
      if (key === undefined) {
        return undefined;
      }
      const inputsKey = sha256Hex(canonicalJson([key.key, node.dependsOn.map((base) => [base, baseChecksum(base)]), externalIdentities(node, identify)]));
      inputs.set(node.spec.name, inputsKey);
      const stored = cache.storedFor(node.spec.name, key.key);
      return stored?.inputsKey === inputsKey ? stored.checksum : undefined;
    },

    record(node, checksum) {
      const key = localOf(node);
      const inputsKey = inputs.get(node.spec.name);
      if (key !== undefined && inputsKey !== undefined) {
        cache.record(node.spec.name, { localKey: key.key, inputsKey, checksum, newestFileChangeNs: key.newestFileChangeNs });
      }
    },
  };
}

/**
 * Digests what an image's checksum reads from the tree: the graph's inputs (config, code and every
 * Dockerfile), the image's name, and its context's fingerprint. Returns `undefined` without a graph digest.
 */
function localKey(graph: ImageGraph, node: ImageNode, openContext: (node: ImageNode) => BuildContext) {
  if (graph.inputsDigest === undefined) {
    return undefined;
  }
  const readsContext = node.build.stages.some((stage) => stage.contextReads.length > 0);
  const context = readsContext ? openContext(node).fingerprint() : undefined;
  const key = sha256Hex(canonicalJson([graph.inputsDigest, node.spec.name, context?.digest ?? null]));
  return { key, newestFileChangeNs: context?.newestFileChangeNs ?? 0n };
}

/** Lists the identity of every external image the node links, in link order. */
function externalIdentities(node: ImageNode, identify: (reference: ImageReference) => ExternalIdentity): ExternalIdentity[] {
  return node.links.flatMap((link) => (link.local === undefined ? [identify(link.reference)] : []));
}
