/**
 * The translated help of both nodes: Node-RED's structured layout (summary, Inputs,
 * Outputs with node-ports, Details, References; Properties for the config node) in every
 * language, naming every field of the dialog.
 */
import assert from 'node:assert/strict';
import { CONNECTION_FACTS } from '../../nodes/lib/editor-facts';
import {
  HEADINGS, LANGS, README_URL, coreCatalog, find, hasClass, helpBody, lookup, parse, read, readCatalog, textOf, type Element, type Lang,
} from '../support/editor-files';

const SERVER_KINDS = CONNECTION_FACTS.kinds;

/** Every code a failed message may carry (nodes/lib/errors/errors.ts, ErrorCode), read from the runtime's source. */
const ERROR_CODES = (() => {
  const source = read('nodes', 'lib', 'errors', 'errors.ts');
  const union = /export type ErrorCode =([\s\S]*?);/.exec(source)?.[1] ?? '';
  return [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]);
})();

/** The fields of the completion-api dialog, each described in the help under its catalog label. */
const API_FIELDS = [
  'serverKind', 'baseUrl', 'apiVersion', 'tls', 'proxy', 'apiKey', 'username', 'password', 'organization', 'project', 'headers',
  'connectTimeout', 'responseTimeout', 'idleTimeout', 'maxRetries', 'maxRetryWait', 'retryTimeouts',
  'maxInFlight', 'maxQueue', 'maxQueueMB', 'maxResponseMB',
  'contextGuard', 'contextLength', 'pricePrompt', 'priceCompletion', 'budgetTokens', 'budgetCost', 'budgetPeriod',
  'cache', 'cacheTtl', 'cacheEntries', 'cacheMB',
];

const SERVER_KINDS_HEADING: Record<Lang, string> = { 'en-US': 'Server kinds', de: 'Serverarten', ja: 'サーバの種類' };

/**
 * What the help must say of the kinds whose endpoint and key differ (the same code words in
 * every language). What each server refuses, ignores and adds is the runtime's to say: the
 * dialogs show it from the profiles.
 */
const KIND_FACTS: Record<string, string[]> = {
  openai: ['Authorization: Bearer', 'OpenAI-Organization', 'OpenAI-Project'],
  azure: ['/openai/deployments/', '/completions?api-version=', 'api-key', 'create-completion'],
  'azure-v1': ['/openai/v1/completions', 'api-key'],
};

/** Header names the connection sets itself: the editor refuses them, and the help names them. */

describe('help', () => {
  for (const lang of LANGS) {
    describe(lang, () => {
      it('create-completion: summary, Inputs, Outputs with two ports, Details, References', () => {
        assert.ok(ERROR_CODES.length >= 10 && ERROR_CODES.includes('INVALID_REQUEST'), ERROR_CODES.join(', '));
        const where = `${lang}/create-completion.html`;
        const body = helpBody(lang, 'create-completion');
        const tree = parse(body, where);
        const h = HEADINGS[lang];

        assert.equal(tree.children[0]?.tag, 'p', `${where}: the first element is the <p> summary`);
        const summary = textOf(body, tree.children[0]);
        assert.ok(summary.length > 10 && summary.length < 200, `${where}: one-line summary, got "${summary}"`);

        const headings = tree.children.filter((e) => e.tag === 'h3').map((e) => textOf(body, e));
        assert.deepEqual(headings, [h.inputs, h.outputs, h.details, h.references], where);

        const inputsAt = tree.children.findIndex((e) => e.tag === 'h3' && textOf(body, e) === h.inputs);
        const afterInputs = tree.children[inputsAt + 1];
        assert.ok(afterInputs?.tag === 'dl' && hasClass(afterInputs, 'message-properties'), `${where}: <dl class="message-properties"> after ${h.inputs}`);
        assert.match(textOf(body, afterInputs), /^payload\b/, `${where}: inputs describe payload`);

        const ports = tree.children.filter((e) => e.tag === 'ol' && hasClass(e, 'node-ports'));
        assert.equal(ports.length, 1, `${where}: one <ol class="node-ports">`);
        const items = ports[0].children.filter((e) => e.tag === 'li');
        assert.equal(items.length, 2, `${where}: two output ports`);
        for (const item of items) {
          assert.ok(item.children.some((e) => e.tag === 'dl' && hasClass(e, 'message-properties')), `${where}: each port has a message-properties list`);
        }
        const result = textOf(body, items[0]);
        for (const property of ['payload', 'statusCode', 'headers', 'completion', 'parts', 'complete', 'usage', 'timing', 'rateLimit', 'cost', 'truncated', 'cached']) {
          assert.match(result, new RegExp(`\\b${property}\\b`), `${where}: result port describes ${property}`);
        }

        for (const code of ERROR_CODES) {
          assert.ok(body.includes(code), `${where}: names error code ${code}`);
        }
        for (const status of ['408', '409', '429', '5xx']) assert.ok(body.includes(status), `${where}: names retried status ${status}`);
        // The parameters are explained here, not by a link to OpenAI's reference.
        assert.doesNotMatch(body, /platform\.openai\.com\/docs\/api-reference/, `${where}: explains rather than links`);
        assert.ok(body.includes(README_URL), `${where}: links the README`);
      });

      it('create-completion: one explanation per field of the dialog, each field as the dialog labels it', () => {
        const where = `${lang}/create-completion.html`;
        const body = helpBody(lang, 'create-completion');
        const tree = parse(body, where);
        const catalog = readCatalog(lang, 'create-completion');
        // The dialog's fields: each row has a tooltip (create-completion.tip.<field>).
        const fields = Object.keys(lookup(catalog, 'create-completion.tip') as object);
        assert.ok(fields.length >= 21, `${fields.length} fields with a tooltip`);
        const lists = find(tree, (e) => e.tag === 'dl' && !hasClass(e, 'message-properties'));
        assert.equal(lists.length, 1, `${where}: one <dl> of parameters`);
        const terms = lists[0].children.filter((e) => e.tag === 'dt').map((e) => textOf(body, e));
        const labels = fields.map((f) => String(lookup(catalog, `create-completion.label.${f}`)));
        assert.deepEqual([...terms].sort(), [...labels].sort(), `${where}: the parameter list names every field by its label`);
        const dds = lists[0].children.filter((e) => e.tag === 'dd').map((e) => textOf(body, e));
        assert.equal(dds.length, terms.length);
        for (const [i, dd] of dds.entries()) assert.ok(dd.length >= (lang === 'ja' ? 15 : 40), `${where}: ${terms[i]} is explained: "${dd}"`);
        // Each one-line tooltip exists for every field, in this language.
        for (const f of fields) assert.ok(String(lookup(catalog, `create-completion.tip.${f}`)).length > 10, `${lang} tip ${f}`);
      });

      it('create-completion: the streaming sequence in order, and msg.error explained', () => {
        const where = `${lang}/create-completion.html`;
        const body = helpBody(lang, 'create-completion');
        const tree = parse(body, where);
        const sequence = tree.children.filter((e) => e.tag === 'ol' && !hasClass(e, 'node-ports'));
        assert.equal(sequence.length, 1, `${where}: one ordered list, the streaming sequence`);
        const steps = sequence[0].children.filter((e) => e.tag === 'li').map((e) => textOf(body, e));
        assert.equal(steps.length, 3, `${where}: chunks, the assembled result, the passthrough`);
        assert.match(steps[0], /msg\.parts/);
        assert.match(steps[1], /msg\.complete = true/);
        assert.match(steps[1], /msg\.parts\.count/);
        const errorList = find(tree, (e) => e.tag === 'dl' && hasClass(e, 'message-properties'))
          .map((dl) => find(dl, (e) => e.tag === 'dt').map((e) => textOf(body, e).split(' ')[0]))
          .find((dts) => dts.includes('error.message'));
        assert.deepEqual(errorList, ['error.message', 'error.code', 'error.cause'], `${where}: msg.error`);
        for (const detail of ['status', 'fields', 'attempts', 'phase', 'hint']) assert.ok(body.includes(`<code>${detail}</code>`), `${where}: cause.${detail}`);
      });

      it('create-completion: the same message properties as en-US', () => {
        const dts = (l: Lang) => {
          const body = helpBody(l, 'create-completion');
          return find(parse(body, l), (e) => e.tag === 'dl' && hasClass(e, 'message-properties'))
            .flatMap((dl) => find(dl, (e) => e.tag === 'dt'))
            .map((e) => textOf(body, e).split(' ')[0]);
        };
        assert.deepEqual(dts(lang), dts('en-US'));
      });

      it('completion-api: summary, Properties naming every field, Details, References', () => {
        const where = `${lang}/completion-api.html`;
        const body = helpBody(lang, 'completion-api');
        const tree = parse(body, where);
        const h = HEADINGS[lang];

        assert.equal(tree.children[0]?.tag, 'p', `${where}: the first element is the <p> summary`);
        const headings = tree.children.filter((e) => e.tag === 'h3').map((e) => textOf(body, e));
        assert.deepEqual(headings, [h.properties, h.details, h.references], where);
        const lists = tree.children.filter((e) => e.tag === 'dl' && hasClass(e, 'message-properties'));
        assert.equal(lists.length, 1, `${where}: one <dl class="message-properties">`);

        const described = find(lists[0], (e) => e.tag === 'dt').map((e) => textOf(body, e));
        const catalog = readCatalog(lang, 'completion-api');
        const labels = [
          String(lookup(coreCatalog(lang), 'common.label.name')),
          ...API_FIELDS.map((f) => String(lookup(catalog, `completion-api.label.${f}`))),
        ];
        for (const label of labels) {
          assert.ok(described.some((dt) => dt.startsWith(label)), `${where}: describes "${label}"`);
        }
        assert.equal(described.length, labels.length, `${where}: one <dt> per field, got ${described.join(' | ')}`);

        // Details has a "Server kinds" list naming every kind by its label in this language.
        const detailsAt = tree.children.findIndex((e) => e.tag === 'h3' && textOf(body, e) === h.details);
        const referencesAt = tree.children.findIndex((e) => e.tag === 'h3' && textOf(body, e) === h.references);
        const details = tree.children.slice(detailsAt + 1, referencesAt);
        const kindsAt = details.findIndex((e) => e.tag === 'h4' && textOf(body, e) === SERVER_KINDS_HEADING[lang]);
        assert.ok(kindsAt !== -1, `${where}: <h4>${SERVER_KINDS_HEADING[lang]}</h4> under ${h.details}`);
        const kindList = details[kindsAt + 1];
        assert.equal(kindList?.tag, 'dl', `${where}: a <dl> of server kinds`);
        // A term may name several kinds: "llama.cpp server, Ollama, vLLM".
        const names = (dt: Element) => textOf(body, dt).split(/\s*[,、]\s*/);
        const kindTerms = find(kindList, (e) => e.tag === 'dt').map(names);
        for (const kind of SERVER_KINDS) {
          const label = String(lookup(catalog, `completion-api.kind.${kind}`));
          assert.ok(kindTerms.some((dt) => dt.includes(label)), `${where}: the server kinds list names ${kind} as "${label}"`);
        }
        const kindText = (kind: string) => {
          const label = String(lookup(catalog, `completion-api.kind.${kind}`));
          const at = kindList.children.findIndex((e) => e.tag === 'dt' && names(e).includes(label));
          const dd = kindList.children[at + 1];
          assert.equal(dd?.tag, 'dd', `${where}: ${kind} is described`);
          return body.slice(dd.start, dd.end);
        };
        for (const [kind, facts] of Object.entries(KIND_FACTS)) {
          const text = kindText(kind);
          for (const fact of facts) assert.ok(text.includes(fact), `${where}: ${kind} mentions ${fact}`);
        }

        for (const fact of ['${ENV_NAME}', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'tls-config', 'https://YOUR-RESOURCE.openai.azure.com', 'completion-api.write']) {
          assert.ok(body.includes(fact), `${where}: mentions ${fact}`);
        }
        assert.ok(body.includes(README_URL), `${where}: links the README`);
      });
    });
  }
});
