import { ImagesumError } from '../errors.js';
import { InstructionError, checkParsedInstruction } from './instructions.js';
import { argOperands } from './operands.js';
import { PlatformError, automaticArgs, parsePlatform } from './platform.js';
import type { Platform } from './platform.js';
import { VariableScope, expandAt } from './scope.js';
import { StageState, isProxyArg } from './stage-state.js';
import { dependenciesOf, fail, neededStageIndexes, planStages, sourceReference, targetIndex } from './stages.js';
import type { Dependency, StagePlan } from './stages.js';
import type {
  BaseImageFacts,
  ImageUse,
  Instruction,
  ParsedDockerfile,
  ResolveOptions,
  ResolvedBuild,
  ResolvedStage,
} from './types.js';

/** The PATH BuildKit sets for Linux stages whose base image has none. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface BuildContext {
  readonly parsed: ParsedDockerfile;
  readonly options: ResolveOptions;
  readonly globals: VariableScope;
  readonly plans: readonly StagePlan[];
  /** Base image facts of the needed stages only, filled as the search finds them, like `triggers`. */
  readonly baseFacts: Map<number, BaseImageFacts | undefined>;
  readonly triggers: Map<number, readonly Instruction[]>;
}

/** Finished stages, kept for the stages built on them. */
interface FinishedStage {
  readonly state: StageState;
  readonly resolved: ResolvedStage;
}

/**
 * Applies build args, target and platforms to a parsed Dockerfile and lists what the build reads: the needed
 * stages with their ARG values, context reads, images and unpinned remote sources.
 */
export function resolveBuild(parsed: ParsedDockerfile, options: ResolveOptions): ResolvedBuild {
  const target = targetIndex(parsed, options.target);
  const globals = resolveGlobalArgs(parsed, options);
  const plans = planStages(parsed, globals, options);

  // Every stage's own --from values are checked, as BuildKit checks them before it skips unneeded stages.
  const ownDependencies = plans.map((plan) => dependenciesOf(plan.stage.instructions, parsed.stages, parsed.escape));
  const baseFacts = new Map<number, BaseImageFacts | undefined>();
  const triggers = new Map<number, readonly Instruction[]>();
  const context: BuildContext = { parsed, options, globals, plans, baseFacts, triggers };

  const dependencies = new Map<number, readonly Dependency[]>();
  const dependenciesOfStage = (index: number): readonly Dependency[] => {
    let found = dependencies.get(index);
    if (found === undefined) {
      found = stageDependencies(plans[index] as StagePlan, context, ownDependencies[index] ?? []);
      dependencies.set(index, found);
    }
    return found;
  };
  const needed = neededStageIndexes(plans, dependenciesOfStage, target);
  checkDependencyOrder(needed, dependencies);

  const finished = new Map<number, FinishedStage>();
  for (const plan of plans) {
    if (needed.has(plan.stage.index)) {
      finished.set(plan.stage.index, resolveStage(plan, context, finished));
    }
  }

  return {
    file: parsed.file,
    escape: parsed.escape,
    stages: [...finished.values()].map((stage) => stage.resolved),
    targetIndex: target,
    globalArgs: usedGlobalArgs(context, needed, finished),
    skippedStageImages: options.builder === 'classic' ? skippedStageImages(plans, ownDependencies, needed, target) : [],
  };
}

/** Lists the images that stages before the target read although the target does not need those stages. */
function skippedStageImages(
  plans: readonly StagePlan[],
  ownDependencies: readonly (readonly Dependency[])[],
  needed: ReadonlySet<number>,
  target: number,
): ImageUse[] {
  const uses: ImageUse[] = [];
  for (const plan of plans.slice(0, target)) {
    const index = plan.stage.index;
    if (needed.has(index)) {
      continue;
    }
    if (plan.base.kind === 'image') {
      uses.push({ reference: plan.base.reference, via: 'FROM', location: plan.stage.from.location });
    }
    for (const dependency of ownDependencies[index] ?? []) {
      if (dependency.source.kind === 'image' && dependency.via === 'COPY --from') {
        uses.push({ reference: dependency.source.reference, via: dependency.via, location: dependency.instruction.location });
      }
    }
  }
  return uses;
}

/** Global ARGs in order: a build arg replaces the default, and a default may read earlier ARGs. */
function resolveGlobalArgs(parsed: ParsedDockerfile, options: ResolveOptions): VariableScope {
  const lastStage = parsed.stages[parsed.stages.length - 1];
  const targetStage = options.target ?? lastStage?.name ?? '';
  const [buildPlatform, targetPlatform] = platforms(parsed, options);
  // The classic builder of dockerd 20.10 sets no platform ARGs: `ARG TARGETARCH` stays empty there unless a
  // build arg sets it (checked with real builds), so only BuildKit gets the automatic values.
  const automatic =
    options.builder === 'classic'
      ? new Map<string, string>()
      : automaticArgs(buildPlatform, targetPlatform, targetStage, options.buildArgs);
  const globals = new VariableScope(automatic, false);

  for (const instruction of parsed.globalArgs) {
    for (const { name, defaultValue } of argOperands(instruction.text, parsed.escape)) {
      if (Object.hasOwn(options.buildArgs, name)) {
        globals.set(name, options.buildArgs[name] as string);
      } else if (defaultValue !== undefined) {
        globals.set(name, expandAt(defaultValue, parsed.escape, globals, instruction.location).word);
      }
    }
  }

  return globals;
}

function platforms(parsed: ParsedDockerfile, options: ResolveOptions): [Platform, Platform] {
  try {
    const build = parsePlatform(options.buildPlatform);
    const target = options.platform === undefined ? build : parsePlatform(options.platform);
    return [build, target];
  } catch (error) {
    if (error instanceof PlatformError) {
      throw new ImagesumError('usage', `${error.message} (building ${parsed.file})`);
    }
    throw error;
  }
}

function imageFacts(plan: StagePlan, options: ResolveOptions): BaseImageFacts | undefined {
  return plan.base.kind === 'image' ? options.baseImage(plan.base.reference) : undefined;
}

/**
 * Lists the ONBUILD triggers a stage runs right after FROM: those its base stage declares, or those of a base image in
 * the tree. BuildKit parses them again in the child and reports them at the child's FROM line.
 */
function triggersOf(plan: StagePlan, context: BuildContext): Instruction[] {
  const base = plan.base;
  let triggers: readonly Instruction[] = [];

  if (base.kind === 'stage') {
    const baseStage = context.parsed.stages[base.index];
    triggers = (baseStage?.instructions ?? []).flatMap((instruction) =>
      instruction.trigger === undefined ? [] : [instruction.trigger],
    );
  } else if (base.kind === 'image') {
    triggers = context.baseFacts.get(plan.stage.index)?.onbuild ?? [];
  }

  return triggers.map((trigger) => relocateTrigger(trigger, plan.stage.from));
}

function relocateTrigger(trigger: Instruction, from: Instruction): Instruction {
  try {
    checkParsedInstruction(trigger, '\\');
  } catch (error) {
    if (error instanceof InstructionError) {
      fail(from.location, `ONBUILD trigger ${trigger.keyword} of the base image is invalid: ${error.message}`);
    }
    throw error;
  }
  return { ...trigger, location: from.location, endLine: from.endLine };
}

/**
 * Records a needed stage's base image facts and ONBUILD triggers in the context, and lists what the stage
 * reads, triggers first. Facts are requested only for needed stages, because the tree image a skipped stage
 * names may be built on this image, which is no cycle for BuildKit. The classic builder builds such a stage,
 * so `skippedStageImages` gives the graph those images and the graph reports the cycle.
 */
function stageDependencies(plan: StagePlan, context: BuildContext, own: readonly Dependency[]): Dependency[] {
  const index = plan.stage.index;
  context.baseFacts.set(index, imageFacts(plan, context.options));
  const triggers = triggersOf(plan, context);
  context.triggers.set(index, triggers);
  return [...dependenciesOf(triggers, context.parsed.stages, context.parsed.escape), ...own];
}

/** Checks that each needed stage reads only stages defined before it, because BuildKit builds them in Dockerfile order. */
function checkDependencyOrder(needed: ReadonlySet<number>, dependencies: ReadonlyMap<number, readonly Dependency[]>): void {
  for (const index of [...needed].sort((a, b) => a - b)) {
    for (const dependency of dependencies.get(index) ?? []) {
      if (dependency.source.kind === 'stage' && dependency.source.index >= index) {
        const option = dependency.via === 'COPY --from' ? '--from' : 'from';
        fail(
          dependency.instruction.location,
          `${option}=${dependency.written} names stage ${dependency.source.index}, which is not defined before the current stage ${index}: read from an earlier stage`,
        );
      }
    }
  }
}

function resolveStage(plan: StagePlan, context: BuildContext, finished: ReadonlyMap<number, FinishedStage>): FinishedStage {
  const { stage } = plan;
  const state = initialState(plan, context, finished);
  const triggers = context.triggers.get(stage.index) ?? [];

  for (const trigger of triggers) {
    state.apply(trigger, '\\');
  }
  for (const instruction of stage.instructions) {
    state.apply(instruction, context.parsed.escape);
  }

  const resolved: ResolvedStage = {
    index: stage.index,
    name: stage.name,
    base: resolvedBase(plan),
    platform: plan.platform,
    instructions: [stage.from, ...triggers, ...stage.instructions],
    args: state.args,
    contextReads: state.contextReads,
    imageUses: state.imageUses,
    unverifiable: state.unverifiable,
    env: Object.fromEntries(state.imageEnv),
    onbuildTriggers: state.onbuildTriggers,
  };
  return { state, resolved };
}

/** Creates a stage's starting state from its base stage, the ENV of its base image, or nothing known. */
function initialState(plan: StagePlan, context: BuildContext, finished: ReadonlyMap<number, FinishedStage>): StageState {
  const settings = {
    options: context.options,
    escape: context.parsed.escape,
    globals: context.globals,
    resolveSource: (written: string, via: Dependency['via']) =>
      sourceReference(written, via, context.parsed.stages, context.parsed.escape, plan.stage.from.location),
  };

  const base = plan.base;
  if (base.kind === 'stage') {
    const baseStage = finished.get(base.index)?.state;
    if (baseStage === undefined) {
      throw new Error(`internal error: stage ${base.index} was not resolved before stage ${plan.stage.index}`);
    }
    return new StageState(baseStage.scope.clone(), new Map(baseStage.imageEnv), settings);
  }

  const facts = base.kind === 'image' ? context.baseFacts.get(plan.stage.index) : undefined;
  const unknown = base.kind === 'image' && facts === undefined;
  const env = new Map(Object.entries(facts?.env ?? {}));
  if (!unknown && !env.has('PATH')) {
    env.set('PATH', DEFAULT_PATH);
  }
  return new StageState(new VariableScope(new Map(env), unknown), env, settings);
}

function resolvedBase(plan: StagePlan): ResolvedStage['base'] {
  const base = plan.base;
  if (base.kind !== 'image') {
    return base;
  }
  const use = { reference: base.reference, via: 'FROM' as const, location: plan.stage.from.location };
  return { kind: 'image', use };
}

/** Global ARGs that needed FROM lines read or needed stages declare again, with their effective values. */
function usedGlobalArgs(
  context: BuildContext,
  needed: ReadonlySet<number>,
  finished: ReadonlyMap<number, FinishedStage>,
): Record<string, string | null> {
  const names = new Set<string>();
  for (const index of needed) {
    for (const name of context.plans[index]?.fromArgNames ?? []) {
      names.add(name);
    }
    for (const name of finished.get(index)?.state.redeclaredNames ?? []) {
      if (context.globals.has(name) || declaredGlobally(context.parsed, name)) {
        names.add(name);
      }
    }
  }

  const values: Record<string, string | null> = {};
  for (const name of [...names].sort()) {
    if (!isProxyArg(name)) {
      values[name] = context.globals.get(name) ?? null;
    }
  }
  return values;
}

function declaredGlobally(parsed: ParsedDockerfile, name: string): boolean {
  return parsed.globalArgs.some((instruction) =>
    argOperands(instruction.text, parsed.escape).some((declaration) => declaration.name === name),
  );
}
