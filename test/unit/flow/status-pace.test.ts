import assert from 'node:assert/strict';
import { StatusPace, STATUS_BURST, STATUS_PER_SECOND } from '../../../nodes/lib/flow/status-pace';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('unit: the pace of a node\'s statuses', () => {
  it('a burst goes out at once; past it, one waits, a newer one takes its place, and the last always goes out', async () => {
    const shown: number[] = [];
    let now = 0;
    const pace = new StatusPace<number>((n) => shown.push(n), () => now);
    for (let i = 1; i <= STATUS_BURST; i++) pace.push(i);
    assert.equal(shown.length, STATUS_BURST, 'the whole burst at once');
    pace.push(101);
    pace.push(102);
    pace.push(103);
    assert.equal(shown.length, STATUS_BURST, 'past the burst, nothing at once');
    now += 1000 / STATUS_PER_SECOND;
    await sleep(1000 / STATUS_PER_SECOND + 20);
    assert.deepEqual(shown.slice(STATUS_BURST), [103], 'only the newest of those that waited');
  });

  it('thousands a second come out at STATUS_PER_SECOND once the burst is spent', async () => {
    const shown: number[] = [];
    const pace = new StatusPace<number>((n) => shown.push(n));
    const started = Date.now();
    for (let i = 0; Date.now() - started < 500; i++) {
      pace.push(i);
      if (i % 100 === 0) await sleep(1);
    }
    await sleep(1000 / STATUS_PER_SECOND + 20);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(shown.length <= STATUS_BURST + Math.ceil(seconds * STATUS_PER_SECOND) + 1, `${shown.length} statuses in ${seconds} s`);
    assert.ok(shown.length > STATUS_BURST);
  });

  it('stop: what waits is dropped, nothing comes later', async () => {
    const shown: number[] = [];
    let now = 0;
    const pace = new StatusPace<number>((n) => shown.push(n), () => now);
    for (let i = 0; i <= STATUS_BURST; i++) pace.push(i);
    pace.stop();
    now += 1000;
    await sleep(1000 / STATUS_PER_SECOND + 20);
    assert.equal(shown.length, STATUS_BURST);
  });
});
