import assert from 'node:assert/strict';
import { LogprobsConverter, normalizeChoicesLogprobs } from '../../../nodes/lib/stream/logprobs';

describe('unit: logprobs in the classic shape', () => {
  it('turns chat-style logprobs into the classic shape, keeping the server\'s entries', () => {
    const body = {
      choices: [{
        text: ' a b', index: 0, finish_reason: 'length',
        logprobs: { content: [
          { id: 1, token: ' a', logprob: -0.5, top_logprobs: [{ id: 1, token: ' a', logprob: -0.5 }, { id: 2, token: ' c', logprob: -1 }] },
          { id: 3, token: ' b', logprob: -0.25, top_logprobs: [] },
        ] },
      }],
    };
    const content = body.choices[0].logprobs.content;
    normalizeChoicesLogprobs(body);
    assert.deepEqual(body.choices[0].logprobs, {
      tokens: [' a', ' b'], token_logprobs: [-0.5, -0.25], top_logprobs: [{ ' a': -0.5, ' c': -1 }, {}], text_offset: [0, 2],
      content,
    });
  });

  it('continues each choice\'s text_offset across stream events, and turns probabilities into log probabilities', () => {
    const converter = new LogprobsConverter();
    const event = (index: number, token: string, prob: number) => ({ choices: [{ index, text: token, logprobs: { content: [{ token, prob, top_probs: [{ token, prob }] }] } }] });
    const events = [event(0, 'ab', 1), event(1, 'x', 0.5), event(0, 'cde', 0.25), event(1, 'yz', 1)];
    for (const e of events) converter.convert(e);
    const offsets = events.map((e) => (e.choices[0].logprobs as unknown as { text_offset: number[] }).text_offset[0]);
    assert.deepEqual(offsets, [0, 0, 2, 1]);
    assert.equal((events[2].choices[0].logprobs as unknown as { token_logprobs: number[] }).token_logprobs[0], Math.log(0.25));
  });
});
