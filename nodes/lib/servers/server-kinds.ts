import type { FieldProblem } from '../request/validate';
import { profileOf, type Condition, type OwnParam, type ServerKindId, type ServerProfile, type ServerRule } from './profiles';

export interface Credentials {
  apiKey?: string;
  organization?: string;
  project?: string;
}

/**
 * A server kind at work: where its endpoints are, how the key is sent, and which
 * parameters it cannot honour, all read from its profile (profiles.ts).
 */
export interface ServerKind {
  id: ServerKindId;
  label: string;
  profile: ServerProfile;
  /** Base URLs without a path get `/v1`, except Azure's resource endpoints. */
  addsV1: boolean;
  /** The path and query of the completions endpoint, after the base URL. */
  completionsPath(model: unknown, apiVersion: string): string;
  modelsPath(apiVersion: string): string;
  authHeaders(credentials: Credentials): Record<string, string>;
  /** What the server would refuse or silently ignore, each with its true reason, checked before anything is sent. */
  gaps(request: Record<string, unknown>): FieldProblem[];
  /** Gives a valid request the form this server reads (in place). */
  adapt(request: Record<string, unknown>): void;
  /** Older builds close a finished stream without `data: [DONE]`. */
  streamMayEndWithoutDone: boolean;
}

const bearer = ({ apiKey }: Credentials): Record<string, string> => (apiKey ? { Authorization: `Bearer ${apiKey}` } : {});
const azureKey = ({ apiKey }: Credentials): Record<string, string> => (apiKey ? { 'api-key': apiKey } : {});
const openaiHeaders = (credentials: Credentials): Record<string, string> => {
  const headers = bearer(credentials);
  if (credentials.organization) headers['OpenAI-Organization'] = credentials.organization;
  if (credentials.project) headers['OpenAI-Project'] = credentials.project;
  return headers;
};
const AUTH = { bearer, openai: openaiHeaders, 'api-key': azureKey };

const isTokenArray = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number');

/** Whether a rule's condition holds for a value (the editor reads the same conditions). */
export function conditionHolds(condition: Condition, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if ('is' in condition) return value === condition.is;
  if ('above' in condition) return typeof value === 'number' && value > condition.above;
  if ('present' in condition) return value !== '';
  if ('notString' in condition) return typeof value !== 'string';
  if ('nonEmpty' in condition) return typeof value === 'object' && Object.keys(value as object).length > 0;
  if ('tokens' in condition) return isTokenArray(value) || (Array.isArray(value) && value.length > 0 && value.every(isTokenArray));
  if ('notOneString' in condition) return typeof value !== 'string' && !(Array.isArray(value) && value.length === 1 && typeof value[0] === 'string');
  return condition.oneOf.includes(value);
}

function applies(rule: ServerRule, request: Record<string, unknown>): boolean {
  if (!conditionHolds(rule.when, request[rule.param])) return false;
  return Object.entries(rule.with ?? {}).every(([param, value]) => request[param] === value);
}

/** What is wrong with a value of one of the server's own parameters, as its profile describes it. */
export function ownParamProblem(spec: OwnParam, value: unknown): string | undefined {
  const isInteger = (x: unknown) => typeof x === 'number' && Number.isInteger(x);
  const isStrings = (x: unknown) => Array.isArray(x) && x.every((item) => typeof item === 'string');
  const fits: Record<OwnParam['type'], (x: unknown) => boolean> = {
    integer: isInteger,
    number: (x) => typeof x === 'number' && Number.isFinite(x),
    boolean: (x) => typeof x === 'boolean',
    string: (x) => typeof x === 'string',
    'string[]': isStrings,
    'string|string[]': (x) => typeof x === 'string' || isStrings(x),
    'integer[]': (x) => Array.isArray(x) && x.every(isInteger),
    object: (x) => typeof x === 'object' && x !== null && !Array.isArray(x),
  };
  if (!fits[spec.type](value)) return `must be ${OWN_TYPE_WORDS[spec.type]}`;
  if (typeof value !== 'number') return undefined;
  if (spec.min !== undefined && value < spec.min) return `must be at least ${spec.min}`;
  if (spec.max !== undefined && value > spec.max) return `must be at most ${spec.max}`;
  return undefined;
}

const OWN_TYPE_WORDS: Record<OwnParam['type'], string> = {
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  string: 'a string',
  'string[]': 'an array of strings',
  'string|string[]': 'a string or an array of strings',
  'integer[]': 'an array of integers',
  object: 'an object',
};

function ownParamGaps(profile: ServerProfile, request: Record<string, unknown>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const [param, spec] of Object.entries(profile.ownParams)) {
    if (!Object.hasOwn(request, param) || request[param] === null || request[param] === undefined) continue;
    const reason = ownParamProblem(spec, request[param]);
    if (reason) problems.push({ field: param, reason: `${reason} (a parameter of ${profile.label})` });
  }
  return problems;
}

function kindOf(profile: ServerProfile): ServerKind {
  const rules = [...profile.refuses, ...profile.ignores];
  const versioned = profile.apiVersionQuery === true;
  return {
    id: profile.id,
    label: profile.label,
    profile,
    addsV1: !profile.resourceEndpoint,
    completionsPath: versioned
      ? (model, apiVersion) => `/openai/deployments/${encodeURIComponent(String(model ?? ''))}/completions?api-version=${encodeURIComponent(apiVersion)}`
      : profile.id === 'azure-v1' ? () => '/openai/v1/completions' : () => '/completions',
    modelsPath: versioned
      ? (apiVersion) => `/openai/models?api-version=${encodeURIComponent(apiVersion)}`
      : profile.id === 'azure-v1' ? () => '/openai/v1/models' : () => '/models',
    authHeaders: AUTH[profile.auth],
    gaps: (request) => [
      ...rules.filter((rule) => applies(rule, request)).map((rule) => ({ field: rule.param, reason: `${qualifierWords(rule)}is not for ${profile.label}, which ${rule.why}` })),
      ...ownParamGaps(profile, request),
    ],
    adapt: ADAPTERS[profile.id] ?? (() => {}),
    streamMayEndWithoutDone: profile.streamEnd === 'done-or-finished',
  };
}

/** Requests in the form a server reads, where it differs from OpenAI's. */
const ADAPTERS: Partial<Record<ServerKindId, (request: Record<string, unknown>) => void>> = {
  // LocalAI takes logprobs as a switch and the count from top_logprobs
  // (core/http/endpoints/openai/inference.go:78-93, v4.9.0).
  localai: (request) => {
    if (typeof request.logprobs === 'number' && request.logprobs > 0 && request.top_logprobs === undefined) request.top_logprobs = request.logprobs;
  },
  // TGI decodes stop only as a list (router/src/lib.rs:491-543, v3.3.7).
  tgi: (request) => {
    if (typeof request.stop === 'string') request.stop = [request.stop];
  },
};

const KINDS = new Map<ServerProfile, ServerKind>();

export function serverKind(id: unknown): ServerKind {
  const profile = profileOf(id);
  let kind = KINDS.get(profile);
  if (!kind) KINDS.set(profile, (kind = kindOf(profile)));
  return kind;
}

/** What the rule's subject says after its parameter's name (`= 0` of `max_tokens = 0`), and a space; nothing for any value. */
function qualifierWords(rule: ServerRule): string {
  const qualifier = (rule.subject ?? rule.param).slice(rule.param.length).trim();
  return qualifier === '' ? '' : `${qualifier} `;
}
