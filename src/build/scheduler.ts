import type { BuildListener } from './events.js';

/**
 * What happens to other builds after one fails:
 * - `stop`: start no new build, let the running ones finish (the default);
 * - `keep-going`: build everything that does not depend on the failed image.
 */
export type FailurePolicy = 'stop' | 'keep-going';

export interface Task {
  readonly name: string;
  /** Tasks of this run that must succeed before this one starts. */
  readonly after: readonly string[];
}

export interface ScheduleOptions {
  readonly concurrency: number;
  readonly policy: FailurePolicy;
  /** Runs one task; resolves `true` on success. It must not reject. */
  readonly run: (task: Task) => Promise<boolean>;
  readonly listener: BuildListener;
  /** Aborting stops starting new tasks; running ones are the runner's to stop. */
  readonly signal?: AbortSignal | undefined;
  readonly now?: () => number;
}

export interface ScheduleResult {
  readonly succeeded: string[];
  readonly failed: string[];
  readonly skipped: string[];
}

/**
 * Runs tasks in dependency order, up to `concurrency` at once. A task starts once everything it comes after
 * has succeeded. A task whose dependency failed or was skipped is skipped with that reason.
 */
export async function runSchedule(tasks: readonly Task[], options: ScheduleOptions): Promise<ScheduleResult> {
  const now = options.now ?? Date.now;
  const pending = new Map(tasks.map((task) => [task.name, task]));
  const outcome = new Map<string, 'succeeded' | 'failed' | 'skipped'>();
  const running = new Map<string, Promise<void>>();
  let stopping = false;

  const skip = (task: Task, reason: string): void => {
    pending.delete(task.name);
    outcome.set(task.name, 'skipped');
    options.listener.emit({ type: 'skipped', name: task.name, reason });
  };

  const start = (task: Task): void => {
    pending.delete(task.name);
    const startedAt = now();
    options.listener.emit({ type: 'started', name: task.name, at: startedAt });
    const done = options.run(task).then((ok) => {
      outcome.set(task.name, ok ? 'succeeded' : 'failed');
      running.delete(task.name);
      if (!ok && options.policy === 'stop') {
        stopping = true;
      }
    });
    running.set(task.name, done);
  };

  for (;;) {
    stopping ||= options.signal?.aborted === true;
    skipBlocked(pending, outcome, skip);

    if (!stopping) {
      for (const task of readyTasks(pending, outcome)) {
        if (running.size >= options.concurrency) {
          break;
        }
        start(task);
      }
    }

    if (running.size === 0) {
      break;
    }
    await Promise.race(running.values());
  }

  for (const task of pending.values()) {
    skip(task, options.signal?.aborted === true ? 'interrupted' : 'stopped after a failed build');
  }

  const named = (state: string) => tasks.map((task) => task.name).filter((name) => outcome.get(name) === state);
  return { succeeded: named('succeeded'), failed: named('failed'), skipped: named('skipped') };
}

function readyTasks(pending: ReadonlyMap<string, Task>, outcome: ReadonlyMap<string, string>): Task[] {
  return [...pending.values()].filter((task) => task.after.every((name) => outcome.get(name) === 'succeeded'));
}

/** Skips every pending task whose dependency failed or was skipped, repeating until none is left to skip. */
function skipBlocked(
  pending: ReadonlyMap<string, Task>,
  outcome: ReadonlyMap<string, string>,
  skip: (task: Task, reason: string) => void,
): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (const task of [...pending.values()]) {
      const blocker = task.after.find((name) => outcome.get(name) === 'failed' || outcome.get(name) === 'skipped');
      if (blocker !== undefined) {
        skip(task, `base ${blocker} was not built`);
        changed = true;
      }
    }
  }
}
