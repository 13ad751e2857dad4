import assert from 'node:assert/strict';
import { Limiter } from '../../../nodes/lib/connection/limiter';

const turn = () => new Promise((r) => setImmediate(r));

describe('unit: the limit on requests in flight', () => {
  it('withdrawn waiting tasks never start when a slot frees, each fails once aborted, and others go on', async () => {
    const limiter = new Limiter(1, 10, 1000);
    const started: string[] = [];
    const ended: Array<[string, string]> = [];
    let finishFirst!: () => void;
    // A task as the connection runs one: a slot entered, the work, the slot left however it ends.
    const run = async (name: string, controller: AbortController, bytes: number) => {
      try {
        const waiting = limiter.enter(controller.signal, bytes);
        if (waiting) await waiting;
      } catch (error) {
        ended.push([name, (error as { code?: string }).code ?? '?']);
        return;
      }
      try {
        started.push(name);
        if (name === 'first') await new Promise<void>((r) => (finishFirst = r));
        ended.push([name, 'ok']);
      } finally {
        limiter.leave();
      }
    };
    const first = new AbortController();
    const mine = [new AbortController(), new AbortController()];
    const other = new AbortController();
    const all = [run('first', first, 0), run('mine-0', mine[0], 400), run('other', other, 100), run('mine-1', mine[1], 400)];
    await turn();
    assert.deepEqual(started, ['first']);

    limiter.withdraw(new Set(mine.map((c) => c.signal)));
    // What they weighed is free for others at once.
    const late = new AbortController();
    all.push(run('late', late, 900));
    finishFirst();
    await turn();
    await turn();
    assert.deepEqual(started, ['first', 'other', 'late']);
    assert.deepEqual(ended.map(([name]) => name).sort(), ['first', 'late', 'other']);

    mine[1].abort();
    await turn();
    mine[0].abort();
    mine[0].abort();
    await Promise.all(all);
    assert.deepEqual(ended.slice(3), [['mine-1', 'ABORTED'], ['mine-0', 'ABORTED']]);
    assert.equal(limiter.full, false);
  });
});
