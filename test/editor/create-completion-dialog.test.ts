/**
 * The create-completion dialog's definition (nodes/create-completion.html), run as the
 * editor runs it: the literal type, its properties, labels and validators.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CONNECTION_FACTS, REQUEST_FACTS } from '../../nodes/lib/editor-facts';
import { REPO_ROOT } from '../support/paths';
import { LANGS, lookup, readCatalog } from '../support/editor-files';
import {
  assertInvalid, assertValid, check, editorNode, loadDefinition, plain, type Definition,
} from '../support/editor-definition';

describe('create-completion dialog', () => {
  describe('definition', () => {
    let type = '';
    let def: Definition;
    let html = '';
    before(() => {
      ({ type, def, html } = loadDefinition('create-completion'));
    });
    const properties = [
      'name', 'api', 'model', 'modelType', 'prompt', 'promptType',
      'temperature', 'top_p', 'frequency_penalty', 'presence_penalty', 'seed', 'max_tokens',
      'n_completions', 'best_of', 'logprobs', 'echo', 'stop', 'logit_bias',
      'stream', 'include_usage', 'suffix', 'user', 'extra', 'resultFormat',
    ];

    it('registers the literal type with an inline definition', () => {
      assert.equal(type, 'create-completion');
      assert.match(html, /RED\.nodes\.registerType\(\s*["']create-completion["']\s*,\s*\{/);
      assert.equal(def.category, 'AI');
      assert.equal(def.inputs, 1);
      assert.equal(def.outputs, 2);
      assert.equal(def.icon, 'create-completion.svg');
      assert.ok(fs.existsSync(path.join(REPO_ROOT, 'icons', 'create-completion.svg')), 'icons/create-completion.svg exists');
    });

    it('has the agreed properties and defaults', () => {
      assert.deepEqual(Object.keys(def.defaults).sort(), [...properties].sort());
      assert.deepEqual(def.defaults.api.type, 'completion-api');
      assert.equal(def.defaults.api.required, true);
      assert.equal(def.defaults.promptType.value, 'str');
      assert.equal(def.defaults.modelType.value, 'str');
      // The runtime's first format is its default (raw).
      assert.equal(def.defaults.resultFormat.value, REQUEST_FACTS.resultFormats[0]);
      assert.deepEqual(plain(def.defaults.stop.value), []);
      assert.deepEqual(plain(def.defaults.logit_bias.value), []);
      for (const prop of properties.filter((p) => !['api', 'promptType', 'modelType', 'resultFormat', 'stop', 'logit_bias'].includes(p))) {
        assert.equal(def.defaults[prop].value, '', `${prop} defaults to blank`);
      }
    });

    it('uses no one-letter property name (the editor drops those: a..z are reserved)', () => {
      assert.deepEqual(Object.keys(def.defaults).filter((p) => p.length === 1), []);
    });

    it('has a dialog element node-input-<property> for every property', () => {
      for (const prop of properties) {
        const id = prop === 'stop' || prop === 'logit_bias' ? `node-input-${prop}-container` : `node-input-${prop}`;
        assert.match(html, new RegExp(`id="${id}"`), id);
      }
      assert.match(html, /<input type="hidden" id="node-input-promptType">/);
      assert.match(html, /<input type="hidden" id="node-input-modelType">/);
    });

    it('validators take (value, opt), so Node-RED shows their messages', () => {
      for (const [prop, spec] of Object.entries(def.defaults)) {
        if (spec.validate) assert.equal(spec.validate.length, 2, `${prop}.validate`);
      }
    });

    it('labels come from the catalog', () => {
      const node = editorNode('create-completion');
      const ctx = { ...node, name: '', model: '' };
      assert.equal(def.label?.call(ctx), 'create completion');
      assert.equal(def.label?.call({ ...ctx, model: 'davinci-002' }), 'davinci-002');
      assert.equal(def.label?.call({ ...ctx, name: 'mine', model: 'davinci-002' }), 'mine');
      assert.equal(typeof def.paletteLabel === 'function' ? def.paletteLabel.call(node) : def.paletteLabel, 'create completion');
      assert.equal(def.outputLabels?.call(node, 0), 'result: raw response (body and status)');
      assert.equal(def.outputLabels?.call({ ...node, resultFormat: 'text' }, 0), 'result: completion text');
      assert.equal(def.outputLabels?.call(node, 1), 'passthrough: the input message, after the request finished');
      // A model read per message does not name the node.
      assert.equal(def.label?.call({ ...ctx, model: 'payload.model', modelType: 'msg' }), 'create completion');
    });

    it('accepts blank numbers and numbers within the seed ranges', () => {
      const valid: [string, string][] = [
        ['temperature', ''], ['temperature', '0'], ['temperature', '2'], ['temperature', '0.7'],
        ['top_p', '1'], ['top_p', '.5'], ['frequency_penalty', '-2'], ['presence_penalty', '1.5'],
        ['seed', '-42'], ['seed', '123456789'], ['max_tokens', '0'], ['max_tokens', '4096'],
        ['n_completions', '1'], ['n_completions', '128'], ['best_of', '20'], ['logprobs', '0'], ['logprobs', '5'],
      ];
      for (const [prop, value] of valid) assertValid('create-completion', def, prop, value);
    });

    it('rejects numbers outside the seed ranges, fractions for integers, and text', () => {
      const invalid: [string, string][] = [
        ['temperature', '2.1'], ['temperature', '-0.1'], ['temperature', 'hot'], ['top_p', '1.01'],
        ['frequency_penalty', '-2.5'], ['presence_penalty', '3'], ['seed', '1.5'], ['seed', '1e300'],
        ['max_tokens', '-1'], ['max_tokens', '1.5'], ['n_completions', '0'], ['n_completions', '129'],
        ['best_of', '21'], ['best_of', '-1'], ['logprobs', '6'], ['logprobs', '2.5'],
      ];
      for (const [prop, value] of invalid) assertInvalid('create-completion', def, prop, value);
      assert.equal(check('create-completion', def, 'temperature', '3'), 'Temperature: must be between 0 and 2');
      assert.equal(check('create-completion', def, 'n_completions', '0'), 'Completions (n): must be between 1 and 128');
    });

    it('checks best_of against n and stream', () => {
      assertValid('create-completion', def, 'best_of', '3', { n_completions: '2' });
      assertValid('create-completion', def, 'best_of', '2', { n_completions: '2' });
      assertInvalid('create-completion', def, 'best_of', '1', { n_completions: '2' });
      assertValid('create-completion', def, 'best_of', '1', { stream: 'true' });
      assertInvalid('create-completion', def, 'best_of', '2', { stream: 'true' });
      assertValid('create-completion', def, 'best_of', '2', { stream: 'false' });
    });

    it('checks the yes/no/default selects and include_usage against stream', () => {
      for (const prop of ['echo', 'stream']) {
        for (const value of ['', 'true', 'false']) assertValid('create-completion', def, prop, value);
        assertInvalid('create-completion', def, prop, 'maybe');
      }
      assertValid('create-completion', def, 'include_usage', '', { stream: '' });
      assertValid('create-completion', def, 'include_usage', 'true', { stream: 'true' });
      assertValid('create-completion', def, 'include_usage', 'false', { stream: 'true' });
      assertInvalid('create-completion', def, 'include_usage', 'true', { stream: '' });
      assertInvalid('create-completion', def, 'include_usage', 'true', { stream: 'false' });
    });

    it('checks stop sequences: a list of at most 4 strings', () => {
      assertValid('create-completion', def, 'stop', []);
      assertValid('create-completion', def, 'stop', ['\n', 'END', '###', '\t']);
      assertInvalid('create-completion', def, 'stop', ['a', 'b', 'c', 'd', 'e']);
      assertInvalid('create-completion', def, 'stop', [1]);
    });

    it('checks logit bias rows: digit token ids, integer biases -100..100, no duplicates', () => {
      assertValid('create-completion', def, 'logit_bias', []);
      assertValid('create-completion', def, 'logit_bias', [{ token: '50256', bias: -100 }, { token: '13', bias: 100 }, { token: '7', bias: 0 }]);
      assertInvalid('create-completion', def, 'logit_bias', [{ token: 'abc', bias: 1 }]);
      assertInvalid('create-completion', def, 'logit_bias', [{ token: '', bias: 1 }]);
      assertInvalid('create-completion', def, 'logit_bias', [{ token: '5', bias: 101 }]);
      assertInvalid('create-completion', def, 'logit_bias', [{ token: '5', bias: 1.5 }]);
      assertInvalid('create-completion', def, 'logit_bias', [{ token: '5', bias: '' }]);
      assertInvalid('create-completion', def, 'logit_bias', [{ token: '5', bias: 1 }, { token: '5', bias: 2 }]);
      assertInvalid('create-completion', def, 'logit_bias', { 50256: -100 });
    });

    it('checks extra parameters: blank or a JSON object', () => {
      assertValid('create-completion', def, 'extra', '');
      assertValid('create-completion', def, 'extra', '{"top_k": 40}');
      assertInvalid('create-completion', def, 'extra', '[1]');
      assertInvalid('create-completion', def, 'extra', '{top_k: 40}');
      assertInvalid('create-completion', def, 'extra', 'null');
    });

    it('checks the prompt per type', () => {
      assertValid('create-completion', def, 'prompt', '', { promptType: 'str' });
      assertValid('create-completion', def, 'prompt', 'Say this is a test', { promptType: 'str' });
      assertValid('create-completion', def, 'prompt', '["a", "b"]', { promptType: 'json' });
      assertValid('create-completion', def, 'prompt', '[1212, 318]', { promptType: 'json' });
      assertValid('create-completion', def, 'prompt', '[[1212, 318], [13]]', { promptType: 'json' });
      assertValid('create-completion', def, 'prompt', '"text"', { promptType: 'json' });
      assertInvalid('create-completion', def, 'prompt', '{"a": 1}', { promptType: 'json' });
      assertValid('create-completion', def, 'prompt', '[]', { promptType: 'json' });
      assertInvalid('create-completion', def, 'prompt', '[1, "a"]', { promptType: 'json' });
      assertInvalid('create-completion', def, 'prompt', '', { promptType: 'json' });
      assertInvalid('create-completion', def, 'prompt', '', { promptType: 'msg' });
      assertValid('create-completion', def, 'prompt', 'topic', { promptType: 'msg' });
      assertValid('create-completion', def, 'prompt', 'PROMPT', { promptType: 'env' });
      assertValid('create-completion', def, 'promptType', 'global');
      assertInvalid('create-completion', def, 'promptType', 'jsonata');
    });

    it('checks the result format', () => {
      for (const value of ['raw', 'text', 'choices']) assertValid('create-completion', def, 'resultFormat', value);
      assertInvalid('create-completion', def, 'resultFormat', 'csv');
    });

    it('takes a node without promptType, modelType, resultFormat or any other property as one with their defaults', () => {
      // A hand-written flow, a generated one, or one saved before a property existed.
      for (const prop of Object.keys(def.defaults).filter((p) => p !== 'api' && def.defaults[p].validate)) {
        assertValid('create-completion', def, prop, undefined, { api: 'conn-openai' });
      }
      assertValid('create-completion', def, 'prompt', 'Say hi', {});
      assertValid('create-completion', def, 'model', 'my-model', {});
      assert.equal(def.label?.call(editorNode('create-completion', { model: 'my-model' })), 'my-model');
    });

    it('takes the model as a name (blank allowed: the message brings it) or from msg, flow, global or env', () => {
      assertValid('create-completion', def, 'model', '', { modelType: 'str' });
      assertValid('create-completion', def, 'model', 'qwen2.5-7b-instruct', { modelType: 'str' });
      for (const type of ['msg', 'flow', 'global']) {
        assertValid('create-completion', def, 'model', 'payload.model', { modelType: type });
        assertInvalid('create-completion', def, 'model', '', { modelType: type });
      }
      assertValid('create-completion', def, 'model', 'MODEL', { modelType: 'env' });
      assertInvalid('create-completion', def, 'model', ' ', { modelType: 'env' });
      for (const type of ['str', 'msg', 'flow', 'global', 'env']) assertValid('create-completion', def, 'modelType', type);
      for (const type of ['json', 'jsonata', 'num']) assertInvalid('create-completion', def, 'modelType', type);
      // Azure: the model field names a deployment, which may not be a dot segment.
      assertInvalid('create-completion', def, 'model', '..', { api: 'conn-azure' });
      assertValid('create-completion', def, 'model', '..', { api: 'conn-vllm' });
    });

    it('applies the limits of the connection\'s server kind, read from the runtime\'s profiles', () => {
      const kinds = CONNECTION_FACTS.profiles;
      // OpenAI's limits for OpenAI and for a connection saved without a kind, as at runtime.
      for (const api of ['conn-openai', 'conn-none', '']) {
        assertInvalid('create-completion', def, 'logprobs', String(kinds.openai.limits.logprobs! + 1), { api });
        assertInvalid('create-completion', def, 'stop', ['a', 'b', 'c', 'd', 'e'], { api });
      }
      // llama.cpp lifts them: the server answers for itself.
      assertValid('create-completion', def, 'logprobs', '20', { api: 'conn-llamacpp' });
      assertValid('create-completion', def, 'n_completions', '200', { api: 'conn-llamacpp' });
      assertValid('create-completion', def, 'stop', Array.from({ length: 12 }, (_, i) => `s${i}`), { api: 'conn-llamacpp' });
      assert.equal(
        check('create-completion', def, 'stop', ['a', 'b', 'c', 'd', 'e'], { api: 'conn-openai' }),
        `Stop sequences: at most ${kinds.openai.limits.stop} stop sequences for ${kinds.openai.label}`,
      );
    });

    it('takes the prompt forms and the max_tokens of no limit that llama.cpp\'s profile names, there only', () => {
      const llama = { api: 'conn-llamacpp', promptType: 'json' };
      for (const prompt of ['["hello", [15043, 29871]]', '[15043, "world"]', '["hello", 15043]', '{"prompt_string": "hello"}', '{"prompt_string": "hello <__media__>", "multimodal_data": ["aGVsbG8="]}', '[{"prompt_string": "a"}, ["b", 1], "c", [2]]']) {
        assertValid('create-completion', def, 'prompt', prompt, llama);
        assertInvalid('create-completion', def, 'prompt', prompt, { api: 'conn-openai', promptType: 'json' });
        assertInvalid('create-completion', def, 'prompt', prompt, { api: 'conn-vllm', promptType: 'json' });
      }
      for (const prompt of ['[1212, 318]', '[[1212, 318], [13]]', '["a", "b"]', '"text"']) assertValid('create-completion', def, 'prompt', prompt, llama);
      for (const prompt of ['[]', '[["a", "b"]]', '{"prompt_string": "x", "multimodal": []}', '[1, {"prompt_string": "x"}]', '{"text": "x"}']) {
        assert.equal(
          check('create-completion', def, 'prompt', prompt, llama),
          `Prompt: ${String(lookup(readCatalog('en-US', 'create-completion'), 'create-completion.validation.promptOwnForms')).replace('__server__', CONNECTION_FACTS.profiles.llamacpp.label)}`,
          prompt,
        );
      }
      assertValid('create-completion', def, 'max_tokens', '-1', { api: 'conn-llamacpp' });
      assertInvalid('create-completion', def, 'max_tokens', '-2', { api: 'conn-llamacpp' });
      assertInvalid('create-completion', def, 'max_tokens', '-1', { api: 'conn-openai' });
    });

    it('refuses what the connection\'s server refuses or ignores, with the runtime\'s reason', () => {
      const why = (kind: keyof typeof CONNECTION_FACTS.profiles, param: string) => {
        const profile = CONNECTION_FACTS.profiles[kind];
        const rule = [...profile.refuses, ...profile.ignores].find((r) => r.param === param);
        assert.ok(rule, `${kind} has a rule about ${param}`);
        return `${rule.subject} is not for ${profile.label}, which ${rule.why}`;
      };
      assert.equal(check('create-completion', def, 'echo', 'true', { api: 'conn-llamacpp' }), `Echo prompt: ${why('llamacpp', 'echo')}`);
      assertValid('create-completion', def, 'echo', 'false', { api: 'conn-llamacpp' });
      assertValid('create-completion', def, 'echo', 'true', { api: 'conn-vllm' });
      assert.equal(check('create-completion', def, 'n_completions', '2', { api: 'conn-ollama' }), `Completions (n): ${why('ollama', 'n')}`);
      assertValid('create-completion', def, 'n_completions', '1', { api: 'conn-ollama' });
      assert.equal(check('create-completion', def, 'suffix', 'end', { api: 'conn-vllm' }), `Suffix: ${why('vllm', 'suffix')}`);
      assertValid('create-completion', def, 'suffix', '', { api: 'conn-vllm' });
      assertInvalid('create-completion', def, 'logit_bias', [{ token: '13', bias: 5 }], { api: 'conn-ollama' });
      assertValid('create-completion', def, 'logit_bias', [], { api: 'conn-ollama' });
      assertInvalid('create-completion', def, 'best_of', '2', { api: 'conn-vllm' });
      assertInvalid('create-completion', def, 'prompt', '[1, 2]', { api: 'conn-tgi', promptType: 'json' });
      assertValid('create-completion', def, 'prompt', '["a"]', { api: 'conn-tgi', promptType: 'json' });
      // A rule that holds only together with another field: LocalAI streams one string prompt only.
      assertInvalid('create-completion', def, 'prompt', '["a", "b"]', { api: 'conn-localai', promptType: 'json', stream: 'true' });
      assertValid('create-completion', def, 'prompt', '["a", "b"]', { api: 'conn-localai', promptType: 'json', stream: 'false' });
      // A prompt read per message is not known in the editor.
      assertValid('create-completion', def, 'prompt', 'payload', { api: 'conn-ollama', promptType: 'msg' });
    });

    it('keeps the text a logit-bias row came from, and wants its token ids before deploy', () => {
      assertValid('create-completion', def, 'logit_bias', [{ token: '15339', bias: -100, text: 'hello' }]);
      assert.equal(
        check('create-completion', def, 'logit_bias', [{ token: '', bias: -100, text: 'hello' }]),
        'Logit bias: "hello" is not yet turned into token ids: leave its field with the connection deployed',
      );
      assert.equal(
        check('create-completion', def, 'logit_bias', [{ token: '5', bias: 101 }]),
        `Logit bias: token 5: the bias must be a whole number from ${REQUEST_FACTS.logitBias.min} to ${REQUEST_FACTS.logitBias.max}`,
      );
    });

    it('is found in the palette and quick-add by the words people type, in every language', () => {
      // Node-RED's palette filter and quick-add match a node's type and palette label: the
      // search words join them (onpaletteadd), made of the catalog's words and the server labels.
      assert.equal(typeof def.onpaletteadd, 'function');
      const labels = CONNECTION_FACTS.kinds.map((k) => CONNECTION_FACTS.profiles[k].label).join(' ');
      for (const lang of LANGS) {
        const words = `${String(lookup(readCatalog(lang, 'create-completion'), 'create-completion.search.words'))} ${labels}`.toLowerCase();
        for (const word of ['openai', 'llm', 'gpt', 'chatgpt', 'ai', 'ollama', 'llama', 'vllm']) {
          assert.ok(words.includes(word), `${lang}: "${word}" finds the node`);
        }
      }
    });
  });
});
