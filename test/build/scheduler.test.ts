import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { BuildEvent } from '../../src/build/events.js';
import { runSchedule, type FailurePolicy, type Task } from '../../src/build/scheduler.js';

/**
 * A fake builder the test controls: each task's build stays running until the test settles it, so
 * overlaps and orderings are checked without sleeps.
 */
class FakeBuilds {
  readonly started: string[] = [];
  private readonly settle = new Map<string, (ok: boolean) => void>();
  private waiters: (() => void)[] = [];

  run = (task: Task): Promise<boolean> =>
    new Promise((resolve) => {
      this.started.push(task.name);
      this.settle.set(task.name, resolve);
      for (const wake of this.waiters.splice(0)) {
        wake();
      }
    });

  running(): string[] {
    return [...this.settle.keys()];
  }

  finish(name: string, ok = true): void {
    const resolve = this.settle.get(name);
    assert.ok(resolve, `${name} is not running`);
    this.settle.delete(name);
    resolve(ok);
  }

  /** Waits until `count` builds have started in all. */
  async untilStarted(count: number): Promise<void> {
    while (this.started.length < count) {
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
  }
}

function schedule(tasks: Task[], builds: FakeBuilds, concurrency: number, policy: FailurePolicy = 'stop') {
  const events: BuildEvent[] = [];
  const done = runSchedule(tasks, { concurrency, policy, run: builds.run, listener: { emit: (event) => events.push(event) } });
  return { done, events };
}

describe('scheduler', () => {
  it('runs independent tasks at the same time up to the limit', async () => {
    const builds = new FakeBuilds();
    const { done } = schedule([{ name: 'a', after: [] }, { name: 'b', after: [] }, { name: 'c', after: [] }], builds, 2);

    await builds.untilStarted(2);
    assert.deepEqual(builds.running(), ['a', 'b']);
    builds.finish('a');
    await builds.untilStarted(3);
    assert.deepEqual(builds.running(), ['b', 'c']);
    builds.finish('b');
    builds.finish('c');
    assert.deepEqual((await done).succeeded, ['a', 'b', 'c']);
  });

  it('starts a task only after its bases succeed', async () => {
    const builds = new FakeBuilds();
    const { done } = schedule([{ name: 'child', after: ['base'] }, { name: 'base', after: [] }], builds, 4);

    await builds.untilStarted(1);
    assert.deepEqual(builds.running(), ['base']);
    builds.finish('base');
    await builds.untilStarted(2);
    assert.deepEqual(builds.running(), ['child']);
    builds.finish('child');
    assert.deepEqual(await done, { succeeded: ['child', 'base'], failed: [], skipped: [] });
  });

  it('skips dependents of a failed task and stops new ones', async () => {
    const builds = new FakeBuilds();
    const tasks = [{ name: 'base', after: [] }, { name: 'slow', after: [] }, { name: 'child', after: ['base'] }, { name: 'other', after: [] }];
    const { done, events } = schedule(tasks, builds, 2, 'stop');

    await builds.untilStarted(2);
    builds.finish('base', false);
    // The running build goes on; nothing new starts.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(builds.running(), ['slow']);
    builds.finish('slow');

    const result = await done;
    assert.deepEqual(result, { succeeded: ['slow'], failed: ['base'], skipped: ['child', 'other'] });
    const skipped = events.filter((event) => event.type === 'skipped');
    assert.deepEqual(skipped, [
      { type: 'skipped', name: 'child', reason: 'base base was not built' },
      { type: 'skipped', name: 'other', reason: 'stopped after a failed build' },
    ]);
  });

  it('keeps going with independent tasks when asked', async () => {
    const builds = new FakeBuilds();
    const tasks = [{ name: 'base', after: [] }, { name: 'child', after: ['base'] }, { name: 'grandchild', after: ['child'] }, { name: 'other', after: [] }];
    const { done } = schedule(tasks, builds, 1, 'keep-going');

    await builds.untilStarted(1);
    builds.finish('base', false);
    await builds.untilStarted(2);
    assert.deepEqual(builds.running(), ['other']);
    builds.finish('other');

    assert.deepEqual(await done, { succeeded: ['other'], failed: ['base'], skipped: ['child', 'grandchild'] });
  });

  it('starts nothing new after an abort', async () => {
    const builds = new FakeBuilds();
    const controller = new AbortController();
    const events: BuildEvent[] = [];
    const done = runSchedule([{ name: 'a', after: [] }, { name: 'b', after: ['a'] }], {
      concurrency: 1,
      policy: 'keep-going',
      run: builds.run,
      listener: { emit: (event) => events.push(event) },
      signal: controller.signal,
    });

    await builds.untilStarted(1);
    controller.abort();
    builds.finish('a');
    assert.deepEqual(await done, { succeeded: ['a'], failed: [], skipped: ['b'] });
    assert.deepEqual(events.at(-1), { type: 'skipped', name: 'b', reason: 'interrupted' });
  });
});
