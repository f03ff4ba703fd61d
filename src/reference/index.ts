import { DEFAULT_DOMAIN, DEFAULT_TAG, OFFICIAL_REPOSITORY_PREFIX } from './grammar.js';
import type { ImageReference } from './parse.js';

export { parseReference, type ImageReference } from './parse.js';

/** Tag of the reference, with `latest` filled in only when the reference has neither tag nor digest. */
function effectiveTag(ref: ImageReference): string | undefined {
  if (ref.tag === undefined && ref.digest === undefined) {
    return DEFAULT_TAG;
  }
  return ref.tag;
}

function withTagAndDigest(name: string, tag: string | undefined, ref: ImageReference): string {
  const tagPart = tag === undefined ? '' : `:${tag}`;
  const digestPart = ref.digest === undefined ? '' : `@${ref.digest}`;
  return `${name}${tagPart}${digestPart}`;
}

/**
 * Formats the fully qualified reference, such as `docker.io/library/ubuntu:latest`. A tag and a digest are
 * both kept when both were written.
 */
export function normalizedName(ref: ImageReference): string {
  return withTagAndDigest(`${ref.domain}/${ref.path}`, effectiveTag(ref), ref);
}

/**
 * Formats the reference as the Docker CLI shows it, such as `ubuntu:latest` or `user/app:1`: `docker.io/` and
 * the `library/` namespace of official images are left out.
 */
export function familiarString(ref: ImageReference): string {
  return withTagAndDigest(familiarRepository(ref), effectiveTag(ref), ref);
}

function familiarRepository(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) {
    return `${ref.domain}/${ref.path}`;
  }
  const remainder = ref.path.startsWith(OFFICIAL_REPOSITORY_PREFIX)
    ? ref.path.slice(OFFICIAL_REPOSITORY_PREFIX.length)
    : ref.path;
  return remainder.includes('/') ? ref.path : remainder;
}

/**
 * Returns the key that two references share exactly when Docker resolves them to the same image. A reference
 * with a digest is keyed by repository and digest, and its tag is ignored because the engine pulls by digest
 * alone (`ubuntu:22.04@sha256:…` is `docker.io/library/ubuntu@sha256:…`). Other references are keyed by
 * their normalized name and tag. Engine tags (`RepoTags`) and repository digests (`RepoDigests`) parse to
 * the same keys.
 */
export function matchKey(ref: ImageReference): string {
  const repository = `${ref.domain}/${ref.path}`;
  if (ref.digest !== undefined) {
    return `${repository}@${ref.digest}`;
  }
  return `${repository}:${effectiveTag(ref) ?? DEFAULT_TAG}`;
}

/**
 * Returns the keys under which Podman may store the image, to compare with `matchKey` of Podman's image
 * names. Podman names local builds of unqualified names `localhost/<name>` (`podman build -t x:1` tags
 * `localhost/x:1`), so a reference without a registry also matches that name. The first key is `matchKey`.
 */
// NOTE: Podman resolves short names through `unqualified-search-registries` in registries.conf, which may
// list registries other than docker.io. Only docker.io and localhost are tried here.
export function podmanMatchKeys(ref: ImageReference): string[] {
  const keys = [matchKey(ref)];
  if (ref.explicitDomain) {
    return keys;
  }

  const localRepository = `localhost/${ref.writtenName}`;
  if (ref.digest !== undefined) {
    keys.push(`${localRepository}@${ref.digest}`);
  } else {
    keys.push(`${localRepository}:${effectiveTag(ref) ?? DEFAULT_TAG}`);
  }
  return keys;
}
