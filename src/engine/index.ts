export {
  createEngineClient,
  type EngineClient,
  type EngineClientOptions,
  type PullOptions,
} from './client.js';
export {
  detectBuilder,
  findExecutables,
  probeClient,
  type BuilderChoice,
  type BuilderDetectionOptions,
  type BuilderKind,
  type ClientCapabilities,
} from './builders.js';
export { DEFAULT_DOCKER_HOST, parseDockerHost, type EngineEndpoint } from './host.js';
export { API_VERSION, mapConnectionError } from './transport.js';
export type { EngineImage, EngineVersion, PullProgress } from './types.js';
