// Azure OpenAI: the classic deployments API and the v1 API.
//
// Sources: learn.microsoft.com "Azure OpenAI REST API reference" (completions:
// POST {endpoint}/openai/deployments/{deployment-id}/completions?api-version=...; auth
// header `api-key`), "Azure OpenAI v1 API" (POST {endpoint}/openai/v1/completions; the
// OpenAI client with the key as Bearer), "Content filtering" (prompt_filter_results /
// content_filter_results); error bodies as the service sends them, quoted in
// MicrosoftDocs/azure-docs#114602 (404 without api-version) and client issues
// (ThinkInAIXYZ/deepchat#262, earendil-works/pi#2528 "400 API version not supported").

import { fnv1a } from '../hash';
import { promptsOf } from '../generate';
import type { CompletionBody } from '../generate';
import { bearerToken, isObject, plainShaper, queryParam, segment } from './common';
import { apiError, openaiShape, PARSE_ERROR_MESSAGE } from './openai-errors';
import { contextRefusal, OPENAI_CONTEXT_LENGTH } from './openai';
import { validateCompletionRequest } from './openai-validation';
import type { DialectRules, DialectSettings, Incoming, ModelInfo, Prepared, Reply } from './types';

// REST reference: api-version is YYYY-MM-DD or YYYY-MM-DD-preview. Any well-formed
// version is accepted here (the service accepts only the versions it has shipped).
const AZURE_API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;
// A route the service does not serve, or a deployments/models route without api-version:
// 404 with a string code (MicrosoftDocs/azure-docs#114602).
const azureNotFound = (): Reply => ({ status: 404, body: { error: { code: '404', message: 'Resource not found' } } });
// A malformed or unknown api-version: 400 (earendil-works/pi#2528, mindsdb#11563).
const azureBadVersion = (): Reply => ({ status: 400, body: { error: { code: 'BadRequest', message: 'API version not supported' } } });
/** 401 of the key check (api-key header missing or wrong). */
export const AZURE_DENIED =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';
/** 401 when only `Authorization: Bearer` is sent: Azure takes it for an Entra ID token. */
export const AZURE_BAD_TOKEN =
  'Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.';
/** 404 of a deployment name the resource does not have (chatboxai/chatbox#646, #861). */
export const AZURE_NO_DEPLOYMENT =
  'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.';

// "Content filtering": non-streamed completions carry prompt_filter_results (one per
// prompt) and content_filter_results on each choice.
const SAFE = (): Record<string, { filtered: boolean; severity: string }> => ({
  hate: { filtered: false, severity: 'safe' },
  self_harm: { filtered: false, severity: 'safe' },
  sexual: { filtered: false, severity: 'safe' },
  violence: { filtered: false, severity: 'safe' },
});

function filtered(body: CompletionBody, request: Record<string, unknown>): unknown {
  const prompts = Math.max(1, promptsOf(request.prompt).length);
  return {
    ...body,
    prompt_filter_results: Array.from({ length: prompts }, (_, i) => ({ prompt_index: i, content_filter_results: SAFE() })),
    choices: body.choices.map((c) => ({ ...c, content_filter_results: SAFE() })),
  };
}

function azureHeaders(n: number): Record<string, string | number> {
  const hex = (fnv1a(String(n)) >>> 0).toString(16).padStart(8, '0');
  return { 'apim-request-id': `${hex}-0000-4000-8000-${String(n).padStart(12, '0')}`, 'x-request-id': `req_${n}`, 'x-ms-region': 'Sweden Central' };
}

// GET /openai/models?api-version=... lists models with Azure's fields (capabilities,
// lifecycle_status, created_at) instead of OpenAI's created/owned_by.
function azureModel(m: ModelInfo): Record<string, unknown> {
  return {
    id: m.id,
    object: 'model',
    created_at: m.created,
    status: 'succeeded',
    capabilities: { fine_tune: false, inference: true, completion: true, chat_completion: false, embeddings: false },
    lifecycle_status: 'generally-available',
  };
}

/** The service behind a deployment validates as OpenAI does, errors in OpenAI's shape. */
function prepareForDeployment(incoming: Incoming, model: string | undefined, contextLength: number): Prepared {
  if (!incoming.parsed && !incoming.empty) return { reply: openaiShape(apiError(400, PARSE_ERROR_MESSAGE)) };
  const body = incoming.empty ? {} : incoming.body;
  if (!isObject(body)) return { reply: openaiShape(apiError(400, 'Invalid request body: expected a JSON object.')) };
  const request = model === undefined ? body : { ...body, model };
  const invalid = validateCompletionRequest(request) ?? contextRefusal(request, contextLength);
  if (invalid) return { reply: openaiShape(invalid) };
  return { request, shaper: plainShaper({ body: (b) => filtered(b, request) }) };
}

export function azure(settings: DialectSettings): DialectRules {
  const { models } = settings;
  const ids = new Set(models.map((m) => m.id));
  const contextLength = settings.contextLength ?? OPENAI_CONTEXT_LENGTH;
  return {
    id: 'azure',
    basePath: '', // the resource endpoint, e.g. https://NAME.openai.azure.com
    jsonType: 'application/json',
    route(method, pathname, query) {
      const apiVersion = queryParam(query, 'api-version');
      const m = /^\/openai\/deployments\/([^/]+)\/completions$/.exec(pathname);
      if (m && method === 'POST') return { kind: 'completions', deployment: decodeURIComponent(m[1]), apiVersion };
      if (method === 'GET' && pathname === '/openai/models') return { kind: 'models', apiVersion };
      const id = method === 'GET' ? segment(pathname, '/openai/models/') : undefined;
      if (id !== undefined) return { kind: 'model', modelId: id, apiVersion };
      return { kind: 'unknown' };
    },
    refuseRoute(route) {
      if (route.kind === 'unknown') return null;
      if (route.apiVersion === null || route.apiVersion === undefined) return azureNotFound();
      if (!AZURE_API_VERSION.test(route.apiVersion)) return azureBadVersion();
      return null;
    },
    auth(headers, key, route) {
      // The key goes in the `api-key` header; a Bearer header is read as an Entra ID token,
      // so an API key sent that way is refused.
      if (key === undefined || route.kind === 'unknown') return null;
      const apiKey = headers['api-key'];
      if (apiKey === key) return null;
      const message = apiKey === undefined && bearerToken(headers) !== undefined ? AZURE_BAD_TOKEN : AZURE_DENIED;
      return { status: 401, body: { error: { code: '401', message } } };
    },
    notFound: azureNotFound,
    prepare(incoming, route) {
      if (!ids.has(route.deployment ?? '')) {
        return { reply: { status: 404, body: { error: { code: 'DeploymentNotFound', message: AZURE_NO_DEPLOYMENT } } } };
      }
      // The deployment in the path picks the model; the body's `model` is ignored. The answer
      // reports the deployment name as `model` (deployments here are named after the models;
      // the real service reports the underlying model, e.g. "gpt-35-turbo-instruct").
      return prepareForDeployment(incoming, route.deployment, contextLength);
    },
    error: openaiShape,
    models: () => ({ status: 200, body: { data: models.map(azureModel), object: 'list' } }),
    model(id) {
      const m = models.find((x) => x.id === id);
      return m ? { status: 200, body: azureModel(m) } : azureNotFound();
    },
    headers: azureHeaders,
    streamHeaders: () => ({}),
    loading: () => null,
    quota: () => null,
  };
}

// The v1 API: OpenAI's paths under /openai/v1, no api-version needed, `model` names the
// deployment, key as `api-key` or as Bearer (the docs use the plain OpenAI client).
export function azureV1(settings: DialectSettings): DialectRules {
  const { models } = settings;
  const ids = new Set(models.map((m) => m.id));
  const contextLength = settings.contextLength ?? OPENAI_CONTEXT_LENGTH;
  const base = '/openai/v1';
  return {
    id: 'azure-v1',
    basePath: base,
    jsonType: 'application/json',
    route(method, pathname) {
      if (method === 'POST' && pathname === `${base}/completions`) return { kind: 'completions' };
      if (method === 'GET' && pathname === `${base}/models`) return { kind: 'models' };
      const id = method === 'GET' ? segment(pathname, `${base}/models/`) : undefined;
      if (id !== undefined) return { kind: 'model', modelId: id };
      return { kind: 'unknown' };
    },
    refuseRoute: () => null,
    auth(headers, key, route) {
      if (key === undefined || route.kind === 'unknown' || headers['api-key'] === key || bearerToken(headers) === key) return null;
      return { status: 401, body: { error: { message: AZURE_DENIED, type: 'invalid_request_error', param: null, code: '401' } } };
    },
    notFound: azureNotFound,
    prepare(incoming) {
      const body = incoming.body;
      if (isObject(body) && typeof body.model === 'string' && body.model !== '' && !ids.has(body.model)) {
        return { reply: openaiShape(apiError(404, AZURE_NO_DEPLOYMENT, null, 'DeploymentNotFound')) };
      }
      return prepareForDeployment(incoming, undefined, contextLength);
    },
    error: openaiShape,
    models: () => ({ status: 200, body: { data: models.map(azureModel), object: 'list' } }),
    model(id) {
      const m = models.find((x) => x.id === id);
      return m ? { status: 200, body: azureModel(m) } : openaiShape(apiError(404, AZURE_NO_DEPLOYMENT, null, 'DeploymentNotFound'));
    },
    headers: azureHeaders,
    streamHeaders: () => ({}),
    loading: () => null,
    quota: () => null,
  };
}
