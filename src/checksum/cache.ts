import type { BuildContext } from '../context/types.js';
import { canonicalJson, isImageChecksum, sha256Hex, type ImageChecksum } from '../digest.js';
import type { ImageGraph, ImageNode } from '../graph/types.js';
import type { ImageReference } from '../reference/index.js';
import { decodeStateFile, encodeStateFile, isOlderThanWindow, readStateFile, writeFileAtomically, type DecodedStateFile, type StateFileFormat } from '../state-files.js';
import type { ExternalIdentity } from './manifest.js';

export const CHECKSUM_CACHE_VERSION = 1;
const FORMAT: StateFileFormat = { kind: 'checksum cache', magic: 'imagesum-checksum-cache', version: CHECKSUM_CACHE_VERSION };
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

  /**
   * Encodes the entries recorded in this run. An image whose context has a file changed within the racy
   * window before `readStartedAtNs`, a time taken before the run read any context, is left out.
   */
  serialize(readStartedAtNs: bigint): Buffer {
    const rows: [string, string, string, string][] = [];
    for (const [name, entry] of this.recorded) {
      if (isOlderThanWindow(entry.newestFileChangeNs, readStartedAtNs)) {
        rows.push([name, entry.localKey, entry.inputsKey, entry.checksum]);
      }
    }
    return encodeStateFile(FORMAT, JSON.stringify({ entries: rows }));
  }

  /** Decodes `serialize` output; returns an empty cache with `rejection` set for anything else. */
  static parse(data: string | Buffer): ChecksumCache {
    return ChecksumCache.fromDecoded(decodeStateFile(FORMAT, typeof data === 'string' ? Buffer.from(data) : data));
  }

  /** Loads the cache file. A missing file gives an empty cache; an unreadable or invalid one an empty cache with `rejection` set. */
  static load(file: string): ChecksumCache {
    const decoded = readStateFile(FORMAT, file);
    return decoded === undefined ? new ChecksumCache() : ChecksumCache.fromDecoded(decoded);
  }

  private static fromDecoded(decoded: DecodedStateFile): ChecksumCache {
    if (decoded.body === undefined) {
      return new ChecksumCache(undefined, decoded.rejection);
    }
    const entries = decodeBody(decoded.body.toString('utf8'));
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

/** Writes the cache atomically; see `serialize` for `readStartedAtNs`. */
export function saveChecksumCache(cache: ChecksumCache, file: string, readStartedAtNs: bigint): void {
  writeFileAtomically(file, cache.serialize(readStartedAtNs));
}

/** An image's inputs key in this run, and its checksum of the last run when that key matches. */
export interface ReuseLookup {
  readonly inputsKey: string;
  readonly checksum: ImageChecksum | undefined;
}

/** The calls through which `computeChecksums` reuses an image's checksum of the last run. */
export interface ChecksumReuse {
  /** Reports whether the image's graph node and context match the last run, so reading its selections now can wait. */
  localInputsMatch(node: ImageNode): boolean;
  /** Looks the image up by all its inputs; `undefined` when its graph node and context cannot be trusted. */
  find(node: ImageNode, baseChecksum: (name: string) => ImageChecksum, identify: (reference: ImageReference) => ExternalIdentity): ReuseLookup | undefined;
  /** Records the checksum this run computed or reused, under the inputs key that `find` returned. */
  record(node: ImageNode, lookup: ReuseLookup, checksum: ImageChecksum): void;
}

/**
 * Creates the reuse rules for one run over a cache. Nothing is reused or recorded for a graph without an
 * `inputsDigest`, because then a Dockerfile or the config was too new to stand for its content.
 */
export function checksumReuse(graph: ImageGraph, cache: ChecksumCache, openContext: (node: ImageNode) => BuildContext): ChecksumReuse {
  const local = new Map<string, { key: string; newestFileChangeNs: bigint } | undefined>();

  const localOf = (node: ImageNode) => {
    if (!local.has(node.spec.name)) {
      local.set(node.spec.name, localKey(graph, node, openContext));
    }
    return local.get(node.spec.name);
  };

  return {
    localInputsMatch(node) {
      const key = localOf(node);
      return key !== undefined && cache.storedFor(node.spec.name, key.key) !== undefined;
    },

    find(node, baseChecksum, identify) {
      const key = localOf(node);
      if (key === undefined) {
        return undefined;
      }
      const inputsKey = sha256Hex(canonicalJson([key.key, node.dependsOn.map((base) => [base, baseChecksum(base)]), externalIdentities(node, identify)]));
      const stored = cache.storedFor(node.spec.name, key.key);
      return { inputsKey, checksum: stored?.inputsKey === inputsKey ? stored.checksum : undefined };
    },

    record(node, lookup, checksum) {
      const key = localOf(node);
      if (key !== undefined) {
        cache.record(node.spec.name, { localKey: key.key, inputsKey: lookup.inputsKey, checksum, newestFileChangeNs: key.newestFileChangeNs });
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
