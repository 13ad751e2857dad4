import assert from 'node:assert/strict';
import fc from 'fast-check';
import { useDemoServer } from '../support/demo-server-suite';
import { FlowHarness } from '../support/flow-harness';
import { referenceValidator } from '../support/reference-schema';
import { validateRequest } from '../../nodes/lib/request/validate';
import { NUMBER_LIMITS } from '../../nodes/lib/request/schema';

describe('conformance with the official OpenAI schemas', function () {
  const validRequest = referenceValidator('CreateCompletionRequest');
  const validResponse = referenceValidator('CreateCompletionResponse');
  const suite = useDemoServer();

  it('every request body the node sends validates against CreateCompletionRequest', async () => {
    suite.flow = await FlowHarness.load({
      api: { baseUrl: suite.server.url },
      node: { temperature: '0.3', stop: ['\n'], logit_bias: [{ token: '13', bias: 5 }], echo: 'false', max_tokens: '3', n_completions: '1', user: 'dialog' },
    });
    const payloads: unknown[] = [
      'a string prompt',
      ['two', 'strings'],
      [1212, 318, 257],
      [[1212, 318], [257]],
      { prompt: 'all of them', best_of: 2, n: 2, echo: true, frequency_penalty: 1, presence_penalty: -1, logprobs: 5, seed: -3, suffix: 'end', top_p: 0.5, stop: 'x', logit_bias: { '50256': -100 } },
      { prompt: 'streamed', stream: true, stream_options: { include_usage: true } },
      { prompt: 'no stop', stop: null, temperature: null },
    ];
    for (const payload of payloads) {
      const out = await suite.flow.run({ payload });
      assert.equal(out.errors.length, 0, JSON.stringify(out.errors[0]?.error));
    }
    const posts = suite.server.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, payloads.length);
    for (const post of posts) assert.ok(validRequest(post.body), `${JSON.stringify(post.body)}: ${JSON.stringify(validRequest.errors)}`);
  });

  it('whatever the node accepts, the reference schema accepts too', () => {
    const limits = (name: keyof typeof NUMBER_LIMITS) => {
      const l = NUMBER_LIMITS[name];
      return l.integer ? fc.integer({ min: Math.max(l.min ?? -1e6, -1e6), max: Math.min(l.max ?? 1e6, 1e6) }) : fc.double({ min: l.min ?? -1e6, max: l.max ?? 1e6, noNaN: true });
    };
    const request = fc.record(
      {
        model: fc.string({ minLength: 1 }),
        prompt: fc.oneof(fc.string(), fc.array(fc.string()), fc.array(fc.nat(), { minLength: 1 }), fc.array(fc.array(fc.nat(), { minLength: 1 }), { minLength: 1 })),
        best_of: limits('best_of'), echo: fc.boolean(), frequency_penalty: limits('frequency_penalty'),
        logit_bias: fc.dictionary(fc.nat().map(String), fc.integer({ min: -100, max: 100 })),
        logprobs: limits('logprobs'), max_tokens: limits('max_tokens'), n: limits('n'), presence_penalty: limits('presence_penalty'),
        seed: limits('seed'), stop: fc.oneof(fc.string(), fc.array(fc.string(), { minLength: 1, maxLength: 4 })),
        stream: fc.boolean(), stream_options: fc.record({ include_usage: fc.boolean() }),
        suffix: fc.string(), temperature: limits('temperature'), top_p: limits('top_p'), user: fc.string(),
      },
      { requiredKeys: ['model', 'prompt'] },
    );
    fc.assert(
      fc.property(request, (r) => {
        if (validateRequest(r).length === 0) assert.ok(validRequest(r), `${JSON.stringify(r)}: ${JSON.stringify(validRequest.errors)}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('whatever the reference schema rejects, the node rejects too', () => {
    const hostile = fc.record(
      {
        model: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        prompt: fc.oneof(fc.string(), fc.array(fc.oneof(fc.string(), fc.integer(), fc.double())), fc.object()),
        temperature: fc.oneof(fc.double(), fc.string()),
        n: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.double()),
        logprobs: fc.integer({ min: -2, max: 9 }),
        stop: fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 6 }), fc.integer()),
        logit_bias: fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string())),
        echo: fc.oneof(fc.boolean(), fc.string()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(hostile, (r) => {
        if (!validRequest(r)) assert.ok(validateRequest(r).length > 0, JSON.stringify(r));
      }),
      { numRuns: 2000 },
    );
  });

  it('the local test suite.server answers in CreateCompletionResponse shape, streamed results assembled included', async () => {
    suite.flow = await FlowHarness.load({ api: { baseUrl: suite.server.url }, node: { max_tokens: '4', logprobs: '2' } });
    for (const stream of [false, true]) {
      const out = await suite.flow.run({ payload: { prompt: ['a', 'b'], n: 2, stream } });
      const body = out.results.at(-1)!.payload.body;
      assert.ok(validResponse(body), JSON.stringify(validResponse.errors));
    }
  });
});
