/**
 * The completion-api dialog's definition (nodes/completion-api.html), run as the editor
 * runs it: the literal config type, its defaults and credentials, labels and validators.
 */
import assert from 'node:assert/strict';
import type vm from 'node:vm';
import { CONNECTION_FACTS } from '../../nodes/lib/editor-facts';
import { connectionSettings, normalizeBaseUrl } from '../../nodes/lib/connection/settings';
import { LANGS, lookup, placeholders, readCatalog, type Tree } from '../support/editor-files';
import {
  assertInvalid, assertValid, check, editorNode, loadDefinition, plain, type Definition,
} from '../support/editor-definition';

const SERVER_KINDS = CONNECTION_FACTS.kinds;
const RESERVED_HEADERS = CONNECTION_FACTS.headers.reserved;

describe('completion-api dialog', () => {
  describe('definition', () => {
    let type = '';
    let def: Definition;
    let html = '';
    let sandbox: vm.Context;
    before(() => {
      ({ type, def, html, sandbox } = loadDefinition('completion-api'));
    });
    const properties = [
      'name', 'serverKind', 'baseUrl', 'apiVersion', 'headers', 'tls', 'proxy',
      'connectTimeout', 'responseTimeout', 'idleTimeout', 'timeout', 'maxRetries', 'maxRetryWait', 'retryTimeouts',
      'maxInFlight', 'maxQueue', 'maxQueueMB', 'maxResponseMB',
      'contextGuard', 'contextLength', 'pricePrompt', 'priceCompletion', 'budgetTokens', 'budgetCost', 'budgetPeriod',
      'cache', 'cacheTtl', 'cacheEntries', 'cacheMB',
    ];

    it('registers the literal config type with the agreed defaults and credentials', () => {
      assert.equal(type, 'completion-api');
      assert.match(html, /RED\.nodes\.registerType\(\s*["']completion-api["']\s*,\s*\{/);
      assert.equal(def.category, 'config');
      assert.deepEqual(Object.keys(def.defaults).sort(), [...properties].sort());
      assert.deepEqual(
        plain(Object.fromEntries(Object.entries(def.defaults).filter(([k]) => k !== 'tls' && k !== 'proxy').map(([k, v]) => [k, v.value]))),
        {
          // A new connection has no kind and no address until the user picks the server.
          name: '', serverKind: '', baseUrl: '', apiVersion: CONNECTION_FACTS.defaultApiVersion, headers: [],
          // Every number field of the runtime, with its default or blank (none).
          ...Object.fromEntries(Object.entries(CONNECTION_FACTS.fields).map(([name, field]) => [name, String((field as { default?: number }).default ?? '')])),
          timeout: '', retryTimeouts: false,
          // The context guard is on and the cache off, as at runtime; a budget counts per day.
          contextGuard: true, cache: false, budgetPeriod: 'day',
        },
      );
      // A config node of the core: its select offers "none", and a missing one is no error.
      assert.equal(def.defaults.tls.type, 'tls-config');
      assert.equal(def.defaults.tls.required, false);
      assert.equal(def.defaults.tls.value, undefined);
      assert.equal(typeof (def.defaults.tls as { label?: unknown }).label, 'string');
      assert.equal(def.defaults.proxy.type, 'http proxy');
      assert.equal(def.defaults.proxy.required, false);
      assert.equal(def.defaults.proxy.value, undefined);
      assert.deepEqual(plain(def.credentials), {
        apiKey: { type: 'password' }, organization: { type: 'text' }, project: { type: 'text' },
        username: { type: 'text' }, password: { type: 'password' },
      });
    });

    it('has a dialog element node-config-input-<name> for every property and credential', () => {
      for (const prop of [...properties, 'apiKey', 'organization', 'project', 'username', 'password']) {
        const id = prop === 'headers' ? 'node-config-input-headers-container' : `node-config-input-${prop}`;
        assert.match(html, new RegExp(`id="${id}"`), prop);
      }
      assert.match(html, /<input type="password" id="node-config-input-apiKey"/);
      assert.match(html, /<input type="password" id="node-config-input-password"/);
      assert.match(html, /<select id="node-config-input-serverKind">/);
      assert.match(html, /<ol id="node-config-input-headers-container"><\/ol>/);
      assert.match(html, /<input type="text" id="node-config-input-tls">/);
    });

    it('offers every server kind of the runtime, each with a translated label', () => {
      // The options are made from the runtime's list when the dialog opens.
      assert.match(html, /<select id="node-config-input-serverKind"><\/select>/);
      for (const lang of LANGS) {
        assert.deepEqual(Object.keys(lookup(readCatalog(lang, 'completion-api'), 'completion-api.kind') as Tree).sort(), [...SERVER_KINDS].sort(), lang);
      }
      assert.equal(lookup(readCatalog('en-US', 'completion-api'), 'completion-api.kind.azure'), 'Azure OpenAI – deployments');
      assert.equal(lookup(readCatalog('en-US', 'completion-api'), 'completion-api.kind.azure-v1'), 'Azure OpenAI – v1 API');
      assert.equal(lookup(readCatalog('en-US', 'completion-api'), 'completion-api.kind.other'), 'Other OpenAI-compatible');
    });

    it('shows the api-version only for Azure deployments, organization and project only where the key goes OpenAI\'s way', () => {
      assert.equal((html.match(/class="[^"]*\bcc-row-apiVersion\b/g) ?? []).length, 2, 'api-version row and hint');
      assert.match(html, /<div class="form-row cc-row-apiVersion"[^>]*>\s*<label for="node-config-input-apiVersion">/);
      assert.match(html, /<div class="form-row cc-row-openai"[^>]*>\s*<label for="node-config-input-organization">/);
      assert.match(html, /<div class="form-row cc-row-openai"[^>]*>\s*<label for="node-config-input-project">/);
      assert.match(html, /\$\("\.cc-row-apiVersion"\)\.toggle\(!!profile && !!profile\.apiVersionQuery\)/);
      // The runtime's fact: only Azure's deployments API takes an api-version.
      assert.deepEqual(SERVER_KINDS.filter((k) => CONNECTION_FACTS.profiles[k].apiVersionQuery), ['azure']);
      assert.match(html, /\$\("\.cc-row-openai"\)\.toggle\(!!profile && profile\.auth === "openai"\)/);
    });

    it('hints that the key may come from an environment variable and that header values are not secret', () => {
      assert.match(html, /data-i18n="\[html\]completion-api\.hint\.apiKeyEnv"/);
      assert.match(html, /data-i18n="completion-api\.hint\.headers"/);
      for (const lang of LANGS) {
        const catalog = readCatalog(lang, 'completion-api');
        assert.match(String(lookup(catalog, 'completion-api.hint.apiKeyEnv')), /<code>\$\{ENV_NAME\}<\/code>/, lang);
        assert.match(String(lookup(catalog, 'completion-api.hint.apiKeyEnv')), /Azure/, lang);
      }
    });

    it('labels itself with the name, or the server kind and the host of the base URL', () => {
      const node = editorNode('completion-api');
      assert.equal(def.label?.call({ ...node, name: 'local vLLM', serverKind: 'vllm', baseUrl: 'http://localhost:8000/v1' }), 'local vLLM');
      assert.equal(def.label?.call({ ...node, name: '', serverKind: 'vllm', baseUrl: 'http://localhost:8000/v1' }), 'vLLM · localhost:8000');
      // Blank: the kind's usual address.
      assert.equal(def.label?.call({ ...node, name: '', serverKind: 'ollama', baseUrl: '' }), `Ollama · ${new URL(CONNECTION_FACTS.profiles.ollama.defaultBaseUrl!).host}`);
      assert.equal(def.label?.call({ ...node, name: '', serverKind: 'azure', baseUrl: 'https://res.openai.azure.com' }), 'Azure OpenAI – deployments · res.openai.azure.com');
      assert.equal(def.label?.call({ ...node, name: '', serverKind: 'azure-v1', baseUrl: '' }), 'Azure OpenAI – v1 API');
      // Flows from before server kinds: what the runtime takes them for.
      const missing = String(lookup(readCatalog('en-US', 'completion-api'), `completion-api.kind.${CONNECTION_FACTS.kindWhenMissing}`));
      assert.equal(def.label?.call({ ...node, name: '', baseUrl: 'http://10.0.0.2:8080/v1' }), `${missing} · 10.0.0.2:8080`);
    });

    it('validates the server kind, the base URL per kind, and the api-version for Azure', () => {
      for (const kind of SERVER_KINDS) assertValid('completion-api', def, 'serverKind', kind);
      for (const kind of ['', 'azure-openai', 'OpenAI']) assertInvalid('completion-api', def, 'serverKind', kind);
      // A new connection must pick its server.
      assert.equal(check('completion-api', def, 'serverKind', ''), 'Server kind: choose the server');
      // A flow written without a kind means what it means at runtime.
      assertValid('completion-api', def, 'serverKind', undefined);

      assertValid('completion-api', def, 'baseUrl', '', { serverKind: 'openai' });
      assertValid('completion-api', def, 'baseUrl', '', {});
      // Blank means the kind's usual address where it has one (the runtime's profiles).
      for (const kind of SERVER_KINDS) {
        if (CONNECTION_FACTS.profiles[kind].defaultBaseUrl) assertValid('completion-api', def, 'baseUrl', '', { serverKind: kind });
        else assertInvalid('completion-api', def, 'baseUrl', '  ', { serverKind: kind });
      }
      assertValid('completion-api', def, 'baseUrl', 'https://res.openai.azure.com', { serverKind: 'azure' });
      assert.equal(check('completion-api', def, 'baseUrl', '', { serverKind: 'azure' }), 'Base URL: required for this server kind');

      assertValid('completion-api', def, 'apiVersion', '2024-10-21', { serverKind: 'azure' });
      assertValid('completion-api', def, 'apiVersion', '2025-04-01-preview', { serverKind: 'azure' });
      assertInvalid('completion-api', def, 'apiVersion', '', { serverKind: 'azure' });
      assertInvalid('completion-api', def, 'apiVersion', ' ', { serverKind: 'azure' });
      assertInvalid('completion-api', def, 'apiVersion', '2024-10-21&x=1', { serverKind: 'azure' });
      assert.equal(check('completion-api', def, 'apiVersion', '', { serverKind: 'azure' }), 'API version: required for Azure OpenAI – deployments');
      for (const kind of SERVER_KINDS.filter((k) => k !== 'azure')) assertValid('completion-api', def, 'apiVersion', '', { serverKind: kind });
    });

    it('marks a /v1 left in the address of an Azure resource endpoint', () => {
      for (const kind of SERVER_KINDS.filter((k) => CONNECTION_FACTS.profiles[k].resourceEndpoint)) {
        const label = String(lookup(readCatalog('en-US', 'completion-api'), `completion-api.kind.${kind}`));
        for (const url of ['http://localhost:8080/v1', 'https://res.openai.azure.com/v1', 'https://res.openai.azure.com/v1/', 'https://res.openai.azure.com/v1/openai/deployments']) {
          assert.equal(
            check('completion-api', def, 'baseUrl', url, { serverKind: kind }),
            `Base URL: ${label} takes the resource endpoint without /v1, e.g. ${CONNECTION_FACTS.profiles[kind].placeholder}`,
            `${kind} ${url}`,
          );
        }
        for (const url of ['https://res.openai.azure.com', 'https://res.openai.azure.com/', 'https://res.openai.azure.com/openai/v1', 'https://gw.example/azure']) {
          assertValid('completion-api', def, 'baseUrl', url, { serverKind: kind });
        }
      }
      // Other kinds take /v1 as it is.
      assertValid('completion-api', def, 'baseUrl', 'http://localhost:8080/v1', { serverKind: 'llamacpp' });
    });

    it('validates extra headers: HTTP token names, no auth or framing headers, no duplicates, no line breaks', () => {
      assertValid('completion-api', def, 'headers', []);
      assertValid('completion-api', def, 'headers', [
        { name: 'X-Gateway-Tenant', value: 'team-a' },
        { name: "x!#$%&'*+.^_`|~9", value: '' },
        { name: 'OpenAI-Beta', value: 'assistants=v2' },
        { name: 'X-Empty', value: '' },
        { name: 'X-Latin1', value: 'caf\u00e9\tok' },
      ]);
      for (const bad of ['', 'X Space', 'X:Colon', 'X(paren)', 'Ümlaut', 'x/y', 'a"b']) {
        assertInvalid('completion-api', def, 'headers', [{ name: bad, value: 'v' }]);
      }
      for (const reserved of [...RESERVED_HEADERS, 'Authorization', 'API-KEY', 'Content-Type', 'HOST']) {
        const result = check('completion-api', def, 'headers', [{ name: reserved, value: 'Bearer sk-123' }]);
        assert.equal(typeof result, 'string', reserved);
        assert.match(String(result), /^Extra headers: .*API key field/, `${reserved}: ${String(result)}`);
      }
      assert.equal(
        check('completion-api', def, 'headers', [{ name: 'authorization', value: 'Bearer sk-123' }]),
        'Extra headers: "authorization" is set by the connection itself; the key goes in the API key field',
      );
      assertInvalid('completion-api', def, 'headers', [{ name: 'X-A', value: '1' }, { name: 'x-a', value: '2' }]);
      assertInvalid('completion-api', def, 'headers', [{ name: 'X-A', value: 'a\r\nX-Injected: 1' }]);
      assertInvalid('completion-api', def, 'headers', [{ name: 'X-A', value: 'a\nb' }]);
      assertInvalid('completion-api', def, 'headers', [{ name: 'X-A', value: '\u2603' }]);
      assertInvalid('completion-api', def, 'headers', [{ name: 'X-A', value: 1 }]);
      assertInvalid('completion-api', def, 'headers', [null]);
      assertInvalid('completion-api', def, 'headers', { 'X-A': '1' });
      assertValid('completion-api', def, 'headers', undefined);
      // Every message is translated in every language, with the header's name filled in.
      for (const lang of LANGS) {
        const catalog = readCatalog(lang, 'completion-api');
        for (const key of ['headerName', 'headerReserved', 'headerDuplicate', 'headerValue']) {
          assert.deepEqual(placeholders(String(lookup(catalog, `completion-api.validation.${key}`))), ['__name__'], `${lang} ${key}`);
        }
      }
    });

    it('validates the token and cost fields: blank means none; numbers within the runtime\'s bounds', () => {
      for (const name of ['contextLength', 'pricePrompt', 'priceCompletion', 'budgetTokens', 'budgetCost']) assertValid('completion-api', def, name, '');
      assertValid('completion-api', def, 'contextLength', '8192');
      assertInvalid('completion-api', def, 'contextLength', '0');
      assertInvalid('completion-api', def, 'contextLength', '8192.5');
      assertValid('completion-api', def, 'pricePrompt', '0.15');
      assertInvalid('completion-api', def, 'pricePrompt', '-1');
      assertValid('completion-api', def, 'budgetTokens', '100000');
      assertInvalid('completion-api', def, 'budgetTokens', '1.5');
      assertValid('completion-api', def, 'cacheTtl', '60');
      assertInvalid('completion-api', def, 'cacheTtl', '0');
      assertInvalid('completion-api', def, 'cacheEntries', '0');
      for (const period of ['day', 'hour', undefined]) assertValid('completion-api', def, 'budgetPeriod', period);
      assertInvalid('completion-api', def, 'budgetPeriod', 'week');
    });

    describe('a user and password typed into the base URL', () => {
      type Split = { url: string; username: string; password: string } | null;
      const split = (text: unknown): Split => plain((sandbox.CreateCompletionEditor as { splitUserinfo(t: unknown): unknown }).splitUserinfo(text)) as Split;

      it('are split from it, percent-decoded, the rest of the URL left as typed', () => {
        assert.deepEqual(split('http://alice:s%40cret@127.0.0.1:8080/v1'), { url: 'http://127.0.0.1:8080/v1', username: 'alice', password: 's@cret' });
        assert.deepEqual(split(' https://bob@GPU-Box:8000/custom/?x=1 '), { url: 'https://GPU-Box:8000/custom/?x=1', username: 'bob', password: '' });
        assert.deepEqual(split('http://:only-pass@host'), { url: 'http://host', username: '', password: 'only-pass' });
        // The userinfo ends at the last "@" before the path, as URLs are read.
        assert.deepEqual(split('http://a:p@ss@host:1/v1'), { url: 'http://host:1/v1', username: 'a', password: 'p@ss' });
        // A stray % is no encoding: kept as written.
        assert.deepEqual(split('http://u:100%@host/v1'), { url: 'http://host/v1', username: 'u', password: '100%' });
        for (const none of ['', '   ', undefined, null, 'http://127.0.0.1:8080/v1', 'http://host/v1?to=a@b', 'http://host/a@b', 'not a url', 'localhost:8080']) {
          assert.equal(split(none), null, String(none));
        }
      });

      it('moves exactly what the runtime would send, and leaves the address it would ask', () => {
        for (const typed of ['http://alice:s%40cret@127.0.0.1:8080/v1', 'https://bob@gpu-box:8000', 'http://a:p@ss@host:1/v1/completions', 'http://u:100%@host/v1', 'http://j%C3%BCrgen:pa%3Ass@host/v1']) {
          const parts = split(typed)!;
          assert.deepEqual(connectionSettings({ baseUrl: typed }).basicAuth, { username: parts.username, password: parts.password }, typed);
          assert.equal(normalizeBaseUrl(parts.url), normalizeBaseUrl(typed), typed);
          assert.equal(new URL(parts.url).username + new URL(parts.url).password, '', typed);
        }
        assert.equal(split('http://j%C3%BCrgen:pa%3Ass@host/v1')!.username, 'jürgen');
      });

      it('are moved into the User and Password fields when the URL changes, and on save as a last guard', () => {
        assert.match(html, /url\$\.on\("change blur", function \(\) \{[^}]*moveUserinfo\(\)/);
        assert.match(html, /oneditsave: function \(\) \{\s*var node = this;\s*(\/\/[^\n]*\s*)?moveUserinfo\(\);/);
        // oneditsave on a form that still holds them (a stand-in for the dialog's inputs).
        const form: Record<string, string> = {
          'node-config-input-baseUrl': 'http://alice:s%40cret@127.0.0.1:8080/v1',
          'node-config-input-username': 'someone else',
          'node-config-input-password': '__PWRD__',
          'node-config-input-serverKind': 'other',
          'node-config-input-apiVersion': '',
        };
        const $ = (selector: string) => {
          const id = selector.replace(/^#/, '');
          const element = {
            val(value?: string) {
              if (value === undefined) return form[id] ?? '';
              form[id] = value;
              return element;
            },
            is: () => false,
            editableList: () => ({ each: () => element }),
          };
          return element;
        };
        const original = sandbox.$;
        sandbox.$ = $;
        try {
          (def.oneditsave as (this: unknown) => void).call(editorNode('completion-api', { id: 'c1' }));
        } finally {
          sandbox.$ = original;
        }
        assert.equal(form['node-config-input-baseUrl'], 'http://127.0.0.1:8080/v1');
        assert.equal(form['node-config-input-username'], 'alice');
        assert.equal(form['node-config-input-password'], 's@cret');
      });

      it('are explained in every language: labels, tips and the hints of the dialog', () => {
        assert.match(html, /<label for="node-config-input-username">[^<]*<i class="fa fa-user"><\/i> <span data-i18n="completion-api\.label\.username">/);
        assert.match(html, /data-i18n="\[title\]completion-api\.tip\.password"/);
        assert.match(html, /data-i18n="completion-api\.hint\.basicAuth"/);
        assert.match(html, /id="cc-userinfo-moved"/);
        // With the API key, in the credentials section.
        const credentials = html.slice(html.indexOf('data-section="credentials"'), html.indexOf('data-section="check"'));
        for (const id of ['apiKey', 'username', 'password']) assert.match(credentials, new RegExp(`id="node-config-input-${id}"`), id);
        assert.ok(credentials.indexOf('node-config-input-apiKey') < credentials.indexOf('node-config-input-username'));
        for (const lang of LANGS) {
          const catalog = readCatalog(lang, 'completion-api');
          for (const key of ['label.username', 'label.password', 'tip.username', 'tip.password', 'hint.basicAuth', 'hint.userinfoMoved']) {
            assert.ok(String(lookup(catalog, `completion-api.${key}`) ?? '').trim().length >= 2, `${lang} ${key}`);
          }
          assert.match(String(lookup(catalog, 'completion-api.hint.basicAuth')), /Authorization: Basic/, lang);
        }
      });
    });

    it('validates the base URL and the limits', () => {
      for (const [prop, spec] of Object.entries(def.defaults)) {
        if (spec.validate) assert.equal(spec.validate.length, 2, `${prop}.validate`);
      }
      for (const value of ['', 'https://api.openai.com/v1', 'http://localhost:8000/v1/', 'http://10.0.0.2:8080']) assertValid('completion-api', def, 'baseUrl', value);
      for (const value of ['api.openai.com/v1', 'ftp://example.com/v1', 'http//x']) assertInvalid('completion-api', def, 'baseUrl', value);
      assertValid('completion-api', def, 'responseTimeout', '0.5');
      assertInvalid('completion-api', def, 'responseTimeout', '0');
      assertInvalid('completion-api', def, 'idleTimeout', 'soon');
      assertValid('completion-api', def, 'connectTimeout', String(CONNECTION_FACTS.fields.connectTimeout.max));
      assertInvalid('completion-api', def, 'connectTimeout', String(CONNECTION_FACTS.fields.connectTimeout.max + 1));
      assertValid('completion-api', def, 'maxQueueMB', '0');
      assertInvalid('completion-api', def, 'maxQueueMB', '-1');
      assertValid('completion-api', def, 'maxRetries', '0');
      assertInvalid('completion-api', def, 'maxRetries', '-1');
      assertInvalid('completion-api', def, 'maxRetries', '1.5');
      assertValid('completion-api', def, 'maxInFlight', '1');
      assertInvalid('completion-api', def, 'maxInFlight', '0');
      assertValid('completion-api', def, 'maxQueue', '0');
      assertInvalid('completion-api', def, 'maxQueue', '-5');
      assertValid('completion-api', def, 'maxResponseMB', '0.25');
      assertInvalid('completion-api', def, 'maxResponseMB', '0');
    });
  });
});

