/** An image in the engine's store, as `GET /images/json` and `GET /images/{name}/json` return it. */
export interface EngineImage {
  /** Image ID, `sha256:<hex>` of the image config. */
  readonly id: string;
  /** Tags as the engine stores them, such as `ubuntu:22.04`. Docker's `<none>:<none>` placeholder is left out. */
  readonly repoTags: readonly string[];
  /** `repository@sha256:<hex>` for each registry manifest the image was pulled or pushed by. */
  readonly repoDigests: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** Engine version information from `GET /version`. */
export interface EngineVersion {
  readonly version: string;
  readonly apiVersion: string;
  readonly minApiVersion: string | undefined;
  readonly os: string;
  readonly arch: string;
}

/** One message of the JSON progress stream of `POST /images/create`. */
export interface PullProgress {
  readonly status: string | undefined;
  readonly id: string | undefined;
  readonly progress: string | undefined;
}
