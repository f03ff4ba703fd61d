/**
 * Regular expressions for Docker's image reference grammar, written from the grammar in
 * github.com/distribution/reference (`regexp.go` and `reference.go`):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path
 *   domain    := host [ ":" port ]
 */

const ALPHANUMERIC = '[a-z0-9]+';

/** One period, one or two underscores, or one or more dashes between alphanumerics. */
const SEPARATOR = '(?:[._]|__|[-]+)';

const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;

/** Unlike path components, registry host names may contain upper case letters. */
const DOMAIN_NAME_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_NAME_COMPONENT}(?:\\.${DOMAIN_NAME_COMPONENT})*`;

/** IPv6 addresses in square brackets, without zone identifiers. */
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:]+)\\]';

export const DOMAIN_PATTERN = new RegExp(`^(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?$`);
export const PATH_PATTERN = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
export const TAG_PATTERN = /^[\w][\w.-]{0,127}$/;

/** An image ID without its algorithm. Docker rejects it as a repository name. */
export const IDENTIFIER_PATTERN = /^[a-f0-9]{64}$/;

/**
 * Hex lengths of the digest algorithms that github.com/opencontainers/go-digest registers (`algorithm.go`). The
 * reference grammar accepts any algorithm name, but Docker's parser rejects algorithms that go-digest does not know,
 * and go-digest accepts only lower case hex of the exact length.
 */
export const DIGEST_HEX_LENGTHS: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);

/** Maximum length of the path (the repository name without the domain). */
export const PATH_MAX_LENGTH = 255;

export const DEFAULT_DOMAIN = 'docker.io';

/** Docker Hub's legacy domain, which Docker normalizes to `docker.io`. */
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';

export const OFFICIAL_REPOSITORY_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
