import type { ImageDigest } from '../digest.js';
import { ImagesumError, type SourceLocation } from '../errors.js';
import {
  DEFAULT_DOMAIN,
  DIGEST_HEX_LENGTHS,
  DOMAIN_PATTERN,
  IDENTIFIER_PATTERN,
  LEGACY_DEFAULT_DOMAIN,
  OFFICIAL_REPOSITORY_PREFIX,
  PATH_MAX_LENGTH,
  PATH_PATTERN,
  TAG_PATTERN,
} from './grammar.js';

/**
 * An image reference normalized as Docker normalizes it: `ubuntu` has domain `docker.io` and path
 * `library/ubuntu`.
 */
export interface ImageReference {
  /** Registry host with optional port, `docker.io` for Docker Hub (also when written as `index.docker.io`). */
  readonly domain: string;
  /** Repository path inside the registry, with `library/` added for single-segment Docker Hub names. */
  readonly path: string;
  /** Tag as written, or `undefined` when the reference has none. */
  readonly tag: string | undefined;
  readonly digest: ImageDigest | undefined;
  /** Whether the text named a registry. Podman qualifies names without one differently from Docker. */
  readonly explicitDomain: boolean;
  /** The repository name exactly as written, without tag and digest. */
  readonly writtenName: string;
}

const EXPECTED_FORM = 'expected [registry/]repository[:tag][@digest], for example ubuntu:22.04';

/**
 * Parses an image reference as `docker pull` and `FROM` read it, and normalizes its name.
 * Raises ImagesumError('reference') naming the invalid value.
 */
export function parseReference(text: string, location?: SourceLocation): ImageReference {
  const fail = (reason: string): never => {
    throw new ImagesumError('reference', `invalid image reference ${JSON.stringify(text)}: ${reason}`, location);
  };

  if (text === '') {
    return fail(`the reference is empty; ${EXPECTED_FORM}`);
  }
  if (IDENTIFIER_PATTERN.test(text)) {
    return fail('a 64-character hex string is an image ID, not a repository name; write the image name instead');
  }

  const { name, tag, digestText } = splitReference(text, fail);
  const digest = digestText === undefined ? undefined : parseDigest(digestText, fail);
  if (tag !== undefined && !TAG_PATTERN.test(tag)) {
    fail(
      `invalid tag ${JSON.stringify(tag)}; a tag has 1 to 128 letters, digits, underscores, periods or dashes ` +
        'and does not start with a period or dash',
    );
  }

  const { domain, path, explicitDomain } = splitDomain(name);
  if (path.toLowerCase() !== path) {
    const lowered = name.toLowerCase();
    const suggestion = PATH_PATTERN.test(splitDomain(lowered).path) ? `; write ${JSON.stringify(lowered)}` : '';
    fail(`repository name ${JSON.stringify(name)} must be lowercase${suggestion}`);
  }
  if (!PATH_PATTERN.test(path)) {
    fail(
      `invalid repository name ${JSON.stringify(path)}; each /-separated part is lowercase letters and digits, ` +
        `joined by single periods, one or two underscores or dashes; ${EXPECTED_FORM}`,
    );
  }
  if (path.length > PATH_MAX_LENGTH) {
    fail(`the repository name has ${path.length} characters, more than the maximum of ${PATH_MAX_LENGTH}`);
  }
  // NOTE: Docker's parser reads a first segment that contains a period but is no valid host (`a_b.c/x`)
  // as a path without a domain. This parser rejects it and names the invalid host instead.
  if (!DOMAIN_PATTERN.test(domain)) {
    fail(`invalid registry ${JSON.stringify(domain)}; write a host name or IP address with an optional :port`);
  }

  return { domain, path, tag, digest, explicitDomain, writtenName: name };
}

/**
 * Splits `name[:tag][@digest]`. Names contain no `@`, and a `:` after the last `/` can only start a tag,
 * because a port belongs to the domain, which always ends with a `/`.
 */
function splitReference(
  text: string,
  fail: (reason: string) => never,
): { name: string; tag: string | undefined; digestText: string | undefined } {
  const at = text.indexOf('@');
  const nameAndTag = at === -1 ? text : text.slice(0, at);
  const digestText = at === -1 ? undefined : text.slice(at + 1);

  const colon = nameAndTag.lastIndexOf(':');
  const hasTag = colon > nameAndTag.lastIndexOf('/');
  const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = hasTag ? nameAndTag.slice(colon + 1) : undefined;

  if (name === '') {
    fail(`the repository name is missing; ${EXPECTED_FORM}`);
  }
  return { name, tag, digestText };
}

function parseDigest(digestText: string, fail: (reason: string) => never): ImageDigest {
  const colon = digestText.indexOf(':');
  const algorithm = colon === -1 ? digestText : digestText.slice(0, colon);
  const hex = colon === -1 ? '' : digestText.slice(colon + 1);
  const hexLength = DIGEST_HEX_LENGTHS.get(algorithm);

  if (colon === -1 || hexLength === undefined) {
    fail(`invalid digest ${JSON.stringify(digestText)}; expected sha256: followed by 64 lowercase hex digits`);
  }
  if (hex.length !== hexLength || !/^[a-f0-9]+$/.test(hex)) {
    fail(
      `invalid digest ${JSON.stringify(digestText)}; expected ${algorithm}: followed by ${hexLength} lowercase hex digits`,
    );
  }
  return digestText as ImageDigest;
}

/**
 * Splits a repository name into registry domain and path as Docker's `splitDockerDomain` does: the first
 * segment is a domain when it is `localhost`, contains `.` or `:`, or contains an upper case letter.
 * Otherwise the name is on Docker Hub, where single-segment names live under `library/`.
 */
function splitDomain(name: string): { domain: string; path: string; explicitDomain: boolean } {
  const slash = name.indexOf('/');
  if (slash === -1) {
    return { domain: DEFAULT_DOMAIN, path: OFFICIAL_REPOSITORY_PREFIX + name, explicitDomain: false };
  }

  const first = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  const isDomain = first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first;
  if (!isDomain) {
    return { domain: DEFAULT_DOMAIN, path: name, explicitDomain: false };
  }

  const domain = first === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : first;
  const isOfficial = domain === DEFAULT_DOMAIN && !rest.includes('/');
  return { domain, path: isOfficial ? OFFICIAL_REPOSITORY_PREFIX + rest : rest, explicitDomain: true };
}
