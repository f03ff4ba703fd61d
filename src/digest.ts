import { createHash } from 'node:crypto';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Lowercase hex SHA-256 of one build-context file's bytes (or of a symlink's target text). */
export type FileDigest = Brand<string, 'FileDigest'>;

/** `sha256:<hex>` checksum of one image's input manifest: what the image label stores. */
export type ImageChecksum = Brand<string, 'ImageChecksum'>;

/** `sha256:<hex>` digest of an image manifest in a registry or engine, as written after `@` in a reference. */
export type ImageDigest = Brand<string, 'ImageDigest'>;

const IMAGE_CHECKSUM_PATTERN = /^sha256:[0-9a-f]{64}$/;

export function isImageChecksum(value: string): value is ImageChecksum {
  return IMAGE_CHECKSUM_PATTERN.test(value);
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function fileDigestOf(data: string | Uint8Array): FileDigest {
  return sha256Hex(data) as FileDigest;
}

/**
 * Hashes a value by its canonical JSON encoding: object keys sorted by code unit, no whitespace. JSON quotes and
 * escapes every string, so two different values can never encode to the same bytes.
 */
export function checksumOfCanonical(value: unknown): ImageChecksum {
  return `sha256:${sha256Hex(canonicalJson(value))}` as ImageChecksum;
}

/** Encodes a value as JSON with object keys sorted by code unit, so that equal values give equal text. */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  appendCanonical(value, parts);
  return parts.join('');
}

/** Appends the canonical encoding to `parts`, one array for the whole value, because manifests are large. */
function appendCanonical(value: unknown, parts: string[]): void {
  if (value === null || value === undefined) {
    parts.push('null');
    return;
  }
  if (typeof value !== 'object') {
    parts.push(JSON.stringify(value));
    return;
  }

  if (Array.isArray(value)) {
    parts.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) {
        parts.push(',');
      }
      appendCanonical(value[i], parts);
    }
    parts.push(']');
    return;
  }

  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort(compareCodeUnits);
  parts.push('{');
  let first = true;
  for (const key of keys) {
    const field = record[key];
    if (field === undefined) {
      continue;
    }
    parts.push(first ? '' : ',', JSON.stringify(key), ':');
    first = false;
    appendCanonical(field, parts);
  }
  parts.push('}');
}

/** Orders strings by UTF-16 code unit, independent of the locale (unlike `localeCompare`). */
export function compareCodeUnits(a: string, b: string): number {
  if (a < b) {
    return -1;
  }
  return a > b ? 1 : 0;
}
