/**
 * imagesum's library API. The stages run in this order: config (which images), dockerfile (what each build
 * reads), graph (how images depend on each other), context and checksum (what the inputs hash to), then
 * status and build against an engine. The `imagesum` command is a thin layer over these functions.
 */
export { analyze, checksumGraph, loadGraph, readContexts, stateFolder, type Analysis, type AnalyzeOptions, type ContextReads, type LoadedGraph } from './analysis.js';
export { buildImages, type BuildEvent, type BuildListener, type BuildOptions, type BuildSummary, type FailurePolicy, type PlannedBuild } from './build/index.js';
export { selectImages } from './build/select.js';
export { MANIFEST_VERSION, type ExternalIdentity, type ImageChecksumResult, type InputManifest } from './checksum/index.js';
export { inputParts, type InputParts } from './checksum/parts.js';
export { DEFAULT_BUILDER, loadProject, type ImageSpec, type Project, type Warning } from './config/index.js';
export type { ImageChecksum, ImageDigest, FileDigest } from './digest.js';
export type { BuilderKind } from './dockerfile/types.js';
export { parseDockerfile, resolveBuild } from './dockerfile/index.js';
export { createEngineClient, detectBuilder, type EngineClient, type EngineImage } from './engine/index.js';
export { ImagesumError, type ErrorKind, type SourceLocation } from './errors.js';
export type { ImageGraph, ImageNode } from './graph/types.js';
export { familiarString, matchKey, normalizedName, parseReference, type ImageReference } from './reference/index.js';
export { formatGraph, graphJson, type GraphFormat, type GraphJsonImage } from './report/graph.js';
export { CHECKSUM_LABEL, PARTS_LABEL, type ImageState, type ImageStatus } from './status/index.js';
export { analyzeAgainstEngine, type EngineAnalysis, type EngineAnalyzeOptions } from './status/session.js';
