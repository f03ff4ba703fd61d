/** Reading Dockerfiles: parse the text into stages, then resolve one build of it. */
export { parseDockerfile } from './parse.js';
export { resolveBuild } from './resolve.js';
export { isProxyArg } from './stage-state.js';
export { expandWord, ExpansionError, NO_VARIABLES } from './expand.js';
export type { ExpandOptions, ExpandResult, VariableLookup, VariableValue } from './expand.js';
export type * from './types.js';
