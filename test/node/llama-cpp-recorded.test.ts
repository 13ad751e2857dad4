/**
 * How the nodes read what a real llama.cpp server sends: its recorded answers
 * (test/fixtures/llama.cpp, from llama-server build b10359), replayed byte for byte over
 * real HTTP into a real Node-RED flow with the `llamacpp` server kind.
 */
import assert from 'node:assert/strict';
import { FlowHarness } from '../support/flow-harness';
import path from 'node:path';
import { header, loadRecordings, loadRecordingsFrom, recordedEvents, recording, startReplayServer, type Recording, type ReplayServer } from '../support/recordings';
import { REPO_ROOT } from '../support/paths';

const recordings: Recording[] = loadRecordings('llama.cpp');
const requestOf = (prefix: string) => recording(recordings, prefix).request as Record<string, unknown>;
const bodyOf = (prefix: string) => JSON.parse(recording(recordings, prefix).body);

describe('llama.cpp: recorded answers of a real server through a real Node-RED', function () {
  let replay: ReplayServer;
  let flow: FlowHarness | undefined;

  before(async () => {
    replay = await startReplayServer(recordings);
  });
  after(async () => {
    await replay.close();
  });
  afterEach(async () => {
    await flow?.unload();
    flow = undefined;
    assert.deepEqual(replay.unmatched.splice(0), [], 'requests that match no recording');
  });

  const load = async (node: Record<string, unknown> = {}, extra: Partial<Parameters<typeof FlowHarness.load>[0]> = {}) => {
    // The recordings hold completions only: the context guard, which counts tokens with the server first, stays off.
    flow = await FlowHarness.load({ api: { baseUrl: replay.url, serverKind: 'llamacpp', maxRetries: '0', contextGuard: false }, node: { model: '', ...node }, ...extra });
    return flow;
  };

  it('a plain completion: the raw result is the body the server sent', async () => {
    const f = await load();
    const out = await f.run({ payload: requestOf('02') });
    assert.equal(out.results[0].payload.status, 200);
    assert.deepEqual(out.results[0].payload.body, bodyOf('02'));
  });

  it('streamed logprobs assemble into exactly the non-streamed answer, and each chunk\'s text_offset continues', async () => {
    const f = await load();
    const plain = (await f.run({ payload: requestOf('06') })).results[0].payload.body.choices[0].logprobs;
    const streamed = await f.run({ payload: requestOf('07') });
    const final = streamed.results.at(-1)!.payload.body.choices[0].logprobs;
    assert.deepEqual(plain.text_offset, [0, 6, 7]);
    assert.deepEqual(final, plain);
    const chunkOffsets = streamed.results.slice(0, -1).map((m) => m.payload.body.choices[0].logprobs?.text_offset?.[0]).filter((o) => o !== undefined);
    assert.deepEqual(chunkOffsets, plain.text_offset);
  });

  it('post_sampling_probs: probabilities become log probabilities, none is dropped', async () => {
    const f = await load();
    const out = await f.run({ payload: requestOf('09') });
    const logprobs = out.results[0].payload.body.choices[0].logprobs;
    assert.deepEqual(logprobs.tokens, ['NUMBER', '修']);
    assert.deepEqual(logprobs.token_logprobs, [0, 0], 'log(1.0) for each token, not null');
    assert.deepEqual(logprobs.top_logprobs, [{ NUMBER: 0 }, { 修: 0 }]);
    assert.equal(logprobs.content[0].prob, 1, 'the server\'s own entries are kept');
  });

  it('n = 2 streamed in text format: a join gives each choice its whole text, equal to the assembled choices', async () => {
    const f = await load({ resultFormat: 'text' }, { join: true });
    const out = await f.run({ payload: requestOf('11') });
    assert.equal(out.errors.length, 0);
    const finals = out.results.filter((m) => m.complete);
    assert.deepEqual(finals.map((m) => [m.choiceIndex, m.payload]), [[0, 'NUMBERWorkbook'], [1, ' bridgehs']]);
    await f.waitFor(() => f.events.filter((e) => e.kind === 'joined').length === 2);
    const joined = f.events.filter((e) => e.kind === 'joined').map((e) => e.msg);
    const byChoice = Object.fromEntries(joined.map((m) => [m.choiceIndex, m.payload]));
    assert.deepEqual(byChoice, { 0: 'NUMBERWorkbook', 1: ' bridgehs' });
    // What is left of msg.parts after the join makes the choices a sequence of their own.
    for (const m of joined) assert.deepEqual({ ...m.parts, id: undefined }, { id: undefined, index: m.choiceIndex, count: 2, type: 'array', len: 1 });
  });

  it('a stream cut cleanly before any choice finished, without [DONE], fails with STREAM_ERROR', async () => {
    const f = await load({ resultFormat: 'text' });
    replay.cutNextStream(3);
    const out = await f.run({ payload: requestOf('04') });
    assert.equal(out.errors.length, 1);
    assert.equal(out.errors[0].error.code, 'STREAM_ERROR');
    assert.ok(!out.results.some((m) => m.complete), 'no partial answer passed off as the final one');
  });

  it('a stream whose every choice finished but that lacks [DONE] (older builds) is whole', async () => {
    const f = await load({ resultFormat: 'text' });
    replay.cutNextStream(5);
    const out = await f.run({ payload: requestOf('04') });
    assert.equal(out.errors.length, 0);
    assert.equal(out.results.at(-1)!.payload, 'NUMBER修dom alone');
  });

  it('an error event half-way: the message fails after the chunks, and a join behind it lets go of the partial group', async () => {
    // The Complete node also watches the join: a join calls done for the messages it
    // holds only once their group is complete or discarded.
    const f = await load({ resultFormat: 'text' }, { join: true, completeScope: ['cc', 'joiner'] });
    const msgid = 'cut-by-an-error-event';
    f.node().receive({ _msgid: msgid, payload: requestOf('29') });
    await f.waitFor(() => f.outcome(msgid).errors.length === 1);
    const out = f.outcome(msgid);
    assert.equal(out.errors[0].error.code, 'STREAM_ERROR');
    const chunks = out.results.filter((m) => !m.reset);
    assert.equal(chunks.length, 69);
    const resets = out.results.filter((m) => m.reset);
    assert.equal(resets.length, 1);
    assert.equal(resets[0].parts.id, chunks[0].parts.id);
    const released = () => f.events.filter((e) => e.kind === 'complete' && (e.msg.parts || e.msg.reset)).length;
    await f.waitFor(() => released() === chunks.length + 1);
    assert.ok(!f.events.some((e) => e.kind === 'joined'), 'a partial text was passed off as whole');
  });
});

/**
 * Every recorded completion of both builds, as a user's message, through a real Node-RED:
 * each ends in exactly one outcome. What llama.cpp would ignore or take in place of
 * max_tokens is refused before sending; everything else comes back as the server sent
 * it (streams assembled), with usage that covers every choice.
 */
describe('llama.cpp: every recorded completion (builds b10359 and v0.5.0) through a real Node-RED', function () {
  const sets = [
    { build: 'b10359', recordings: loadRecordings('llama.cpp') },
    { build: 'v0.5.0', recordings: loadRecordingsFrom(path.join(REPO_ROOT, 'test', 'demo-server', 'fixtures', 'llama.cpp-v0.5.0')) },
  ];
  /** Recordings whose request the node refuses, and the fields it names. */
  const REFUSED: Record<string, string[]> = {
    '08': ['logprobs'], // 0: llama.cpp returns none (OpenAI returns the chosen tokens')
    '13': ['echo'],
    '15': ['best_of'],
    '17': ['suffix'],
    '30': ['prompt'],
    '52': ['max_tokens'], // 0: it generates a token all the same
    '53': ['n_predict'],
    '54': ['top_k'],
    '55': ['repeat_last_n'], // -1: its own 400
    // llama.cpp's own form of logit_bias, pairs in an array: the API's is an object.
    '47': ['logit_bias'],
    '48': ['logit_bias'],
  };
  /** Recordings whose answer fails the message, by build and number. */
  const FAILS: Record<string, string> = {
    // An error event after 69 tokens (that build's output parser, fixed upstream in ggml-org/llama.cpp#27543).
    'b10359 29': 'STREAM_ERROR',
  };

  for (const { build, recordings } of sets) {
    describe(`build ${build}`, () => {
      let replay: ReplayServer;
      let flow: FlowHarness | undefined;
      before(async () => {
        replay = await startReplayServer(recordings);
      });
      after(() => replay.close());
      afterEach(async () => {
        await flow?.unload();
        flow = undefined;
        // The node counts a partial usage's answers with /tokenize, which was not recorded: it then says what the server's numbers leave out.
        assert.deepEqual(replay.unmatched.splice(0).filter((u) => !u.startsWith('POST /tokenize ')), [], 'requests that match no recording');
      });

      const completions = recordings.filter((r) => r.method === 'POST' && r.path === '/v1/completions' && r.request !== undefined);
      for (const r of completions) {
        it(r.name, async () => {
          flow = await FlowHarness.load({ api: { baseUrl: replay.url, serverKind: 'llamacpp', maxRetries: '0', contextGuard: false }, node: { model: '' } });
          const out = await flow.run({ payload: r.request });
          assert.equal(out.completes.length + out.errors.length, 1, `${r.name}: exactly one outcome`);
          const refused = REFUSED[r.name.slice(0, 2)];
          if (refused) {
            assert.equal(out.errors[0]?.error.code, 'INVALID_REQUEST', `${r.name}: ${JSON.stringify(out.errors[0]?.error ?? out.results[0]?.payload)}`);
            assert.deepEqual(out.errors[0].error.cause.fields.map((p: { field: string }) => p.field), refused);
            return;
          }
          const fails = FAILS[`${build} ${r.name.slice(0, 2)}`];
          if (fails) {
            assert.equal(out.errors[0]?.error.code, fails, `${r.name}: ${JSON.stringify(out.errors[0]?.error)}`);
            return;
          }
          assert.equal(out.errors.length, 0, `${r.name}: ${JSON.stringify(out.errors[0]?.error)}`);
          const final = out.results.at(-1)!;
          assert.equal(final.payload.status, r.status, `${r.name}: status`);
          if (r.status !== 200) return;
          const streamed = /event-stream/.test(header(r, 'content-type') ?? '');
          const expected = streamed ? assembledChoices(r) : (JSON.parse(r.body).choices as Array<{ index: number; text: string; finish_reason: string }>);
          const got = final.payload.body.choices as Array<{ index: number; text: string; finish_reason: string }>;
          assert.deepEqual(got.map((c) => [c.index, c.text, c.finish_reason]), expected.map((c) => [c.index, c.text, c.finish_reason]), `${r.name}: the choices`);
          if (streamed) {
            // Each choice's last event reports its own task: the usage is their sum.
            assert.equal(final.usage.completion_tokens, recordedUsagePerChoice(r).reduce((a, b) => a + b, 0), `${r.name}: completion_tokens of every choice`);
          } else if (expected.length > 1) {
            assert.match(final.usage.note ?? '', /first prompt's first choice/, `${r.name}: says the server's usage covers one choice`);
          }
        });
      }
    });
  }
});

type RecordedChoice = { index: number; text: string; finish_reason: string | null };

function streamEvents(r: Recording): Array<{ choices?: RecordedChoice[]; usage?: { completion_tokens: number } }> {
  return recordedEvents(r)
    .map((e) => e.trim())
    .filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]' && e !== 'data: null')
    .map((e) => JSON.parse(e.slice(6)));
}

function assembledChoices(r: Recording): RecordedChoice[] {
  const byIndex = new Map<number, RecordedChoice>();
  for (const event of streamEvents(r)) {
    for (const c of event.choices ?? []) {
      const into = byIndex.get(c.index) ?? { index: c.index, text: '', finish_reason: null };
      into.text += c.text;
      if (c.finish_reason !== null) into.finish_reason = c.finish_reason;
      byIndex.set(c.index, into);
    }
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

function recordedUsagePerChoice(r: Recording): number[] {
  return streamEvents(r).filter((e) => e.usage).map((e) => e.usage!.completion_tokens);
}
