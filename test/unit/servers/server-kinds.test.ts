import assert from 'node:assert/strict';
import { PROFILES, SERVER_KIND_IDS } from '../../../nodes/lib/servers/profiles';
import { serverKind } from '../../../nodes/lib/servers/server-kinds';

describe('unit: server kinds and their profiles', () => {
  it('build each server’s path and auth header', () => {
    const creds = { apiKey: 'k', organization: 'org', project: 'proj' };
    assert.equal(serverKind('openai').completionsPath('m', ''), '/completions');
    assert.deepEqual(serverKind('openai').authHeaders(creds), { Authorization: 'Bearer k', 'OpenAI-Organization': 'org', 'OpenAI-Project': 'proj' });
    assert.equal(serverKind('azure').completionsPath('my deploy', '2024-10-21'), '/openai/deployments/my%20deploy/completions?api-version=2024-10-21');
    assert.deepEqual(serverKind('azure').authHeaders(creds), { 'api-key': 'k' });
    assert.equal(serverKind('azure-v1').completionsPath('m', ''), '/openai/v1/completions');
    assert.deepEqual(serverKind('vllm').authHeaders({}), {});
    assert.deepEqual(serverKind('llamacpp').authHeaders({ apiKey: 'k', organization: 'org' }), { Authorization: 'Bearer k' });
    assert.equal(serverKind('nonsense').id, 'openai');
  });

  it('name what each server would refuse or silently ignore, with its true reason', () => {
    const gaps = (kind: string, request: Record<string, unknown>) => serverKind(kind).gaps(request);
    const fields = (kind: string, request: Record<string, unknown>) => gaps(kind, request).map((p) => p.field);
    assert.deepEqual(fields('llamacpp', { echo: true, best_of: 2, suffix: 'x', n: 2 }), ['echo', 'best_of', 'suffix']);
    assert.deepEqual(fields('llamacpp', { echo: false, best_of: 1, suffix: '' }), []);
    // The reason names the value it is about, so that a rule on one value does not read as a rule on the parameter.
    assert.equal(gaps('llamacpp', { echo: true })[0].reason, '= true is not for llama.cpp server, which ignores it: the answer would not contain the prompt');
    assert.equal(gaps('llamacpp', { max_tokens: 0 })[0].reason, '= 0 is not for llama.cpp server, which generates a token all the same');
    assert.deepEqual(fields('llamacpp', { n_cmpl: 2 }), ['n_cmpl'], 'llama.cpp\'s own name for n');
    assert.equal(gaps('llamacpp', { n_predict: 5 })[0].reason, 'is not for llama.cpp server, which takes it in place of max_tokens, where the context guard and a budget cannot see it: set max_tokens instead');
    assert.match(gaps('localai', { prompt: ['a', 'b'], stream: true })[0].reason, /^other than one string with stream = true is not for LocalAI/);
    assert.match(gaps('ollama', { best_of: 2 })[0].reason, /^> 1 is not for Ollama/);
    assert.deepEqual(fields('vllm', { best_of: 1, suffix: 'x' }), ['suffix']);
    assert.deepEqual(fields('vllm', { best_of: 3 }), ['best_of']);
    assert.deepEqual(fields('ollama', { prompt: ['a'], n: 2, echo: true, logit_bias: { '1': 1 }, logprobs: 2 }), ['prompt', 'n', 'echo', 'logit_bias', 'logprobs']);
    assert.deepEqual(fields('ollama', { prompt: 'a', n: 1, echo: false, logit_bias: {}, logprobs: 0 }), []);
    assert.deepEqual(fields('localai', { prompt: [1, 2, 3] }), ['prompt']);
    assert.deepEqual(fields('localai', { prompt: ['a', 'b'], stream: true }), ['prompt']);
    assert.deepEqual(fields('localai', { prompt: ['a'], stream: true }), []);
    assert.deepEqual(fields('localai', { prompt: 'a', logprobs: 2, stream: true }), ['logprobs']);
    assert.deepEqual(fields('tgi', { prompt: [[1, 2]], suffix: 'x' }), ['suffix', 'prompt']);
    assert.deepEqual(fields('openai', { echo: true, best_of: 3, suffix: 'x' }), []);
    assert.deepEqual(fields('azure', { model: '..' }), ['model']);
  });

  it('show users no references to recordings or source lines: those stay in the profiles for their readers', () => {
    for (const id of ['llamacpp', 'ollama', 'vllm', 'localai', 'tgi', 'azure'] as const) {
      const profile = serverKind(id).profile;
      const texts = [...profile.notes, profile.blankMeans, ...profile.blankWarnings.map((w) => w.why), ...[...profile.refuses, ...profile.ignores].map((r) => r.why)];
      for (const text of texts) assert.doesNotMatch(text, /\(rec \d|\.(go|py|cpp):\d/, `${id}: ${text}`);
    }
  });

  it('give a request the form a server reads: LocalAI counts logprobs in top_logprobs, TGI takes stop only as a list', () => {
    const local = { prompt: 'a', logprobs: 3 };
    serverKind('localai').adapt(local);
    assert.deepEqual(local, { prompt: 'a', logprobs: 3, top_logprobs: 3 });
    const tgi = { prompt: 'a', stop: '\n' };
    serverKind('tgi').adapt(tgi);
    assert.deepEqual(tgi, { prompt: 'a', stop: ['\n'] });
    const openai = { prompt: 'a', stop: '\n', logprobs: 3 };
    serverKind('openai').adapt(openai);
    assert.deepEqual(openai, { prompt: 'a', stop: '\n', logprobs: 3 });
  });

  it('every profile is plain data with its sources, and every rule says why and where it comes from', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(PROFILES)), PROFILES, 'profiles travel to the editor as JSON');
    for (const id of SERVER_KIND_IDS) {
      const profile = PROFILES[id];
      assert.equal(profile.id, id);
      for (const rule of [...profile.refuses, ...profile.ignores]) {
        assert.ok(rule.why.length >= 'ignores it'.length && rule.source.length > 5, `${id}.${rule.param}: a reason and a source`);
      }
      if (id !== 'other') assert.ok(profile.sources.length > 0, `${id}: sources`);
    }
  });
});
