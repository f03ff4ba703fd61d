/** Labels imagesum sets on every image it builds. */
export const CHECKSUM_LABEL = 'io.imagesum.checksum';

/** Short digests of each kind of input (see `InputParts`), so a stale image's reason can name what changed. */
export const PARTS_LABEL = 'io.imagesum.parts';
