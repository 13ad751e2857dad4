import assert from 'node:assert/strict';
import { misspeltParams } from '../../../nodes/lib/request/misspelt';
import { KNOWN_PARAMS } from '../../../nodes/lib/servers/profiles';

const flagged = (request: Record<string, unknown>) => misspeltParams(request, KNOWN_PARAMS).map((p) => [p.field, /did you mean (\w+)\?/.exec(p.reason)?.[1]]);

describe('unit: parameters spelt nearly as a known one', () => {
  it('names the parameter a slip, a swap, camelCase or a dash was meant to be', () => {
    assert.deepEqual(flagged({ max_token: 1, temprature: 1, temperture: 1, frequence_penalty: 1, maxTokens: 1, logitBias: {}, prompts: [], presense_penalty: 1, sufix: 'x' }), [
      ['max_token', 'max_tokens'], ['temprature', 'temperature'], ['temperture', 'temperature'], ['frequence_penalty', 'frequency_penalty'],
      ['maxTokens', 'max_tokens'], ['logitBias', 'logit_bias'], ['prompts', 'prompt'], ['presense_penalty', 'presence_penalty'], ['sufix', 'suffix'],
    ]);
  });

  it('leaves alone every known parameter and real ones of servers it does not list', () => {
    const known = Object.fromEntries([...KNOWN_PARAMS].map((name) => [name, 1]));
    assert.deepEqual(flagged(known), []);
    const others = ['min_keep', 'dry_base', 'dry_allowed_length', 'dynatemp_range', 'top_n_sigma', 'typ_p', 'n_indent', 'slot_id', 'lora', 'return_tokens',
      'guided_json', 'guided_regex', 'guided_choice', 'response_format', 'add_special_tokens', 'logits_processors', 'structured_outputs',
      'num_predict', 'topic', 'user_id', 'keep_alive', 'reasoning', 'details', 'watermark', 'decoder_input_details', 'timings_per_token', 'cache_salt'];
    assert.deepEqual(flagged(Object.fromEntries(others.map((name) => [name, 1]))).filter(([name]) => name !== 'num_predict'), []);
  });

  it('is quick on long names and on many of them', () => {
    const many = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`unknown_parameter_${i}`, i]));
    assert.deepEqual(flagged({ ['x'.repeat(100_000)]: 1, ...many }), []);
  });
});
