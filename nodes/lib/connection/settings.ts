import { serverKind, type ServerKind } from '../servers/server-kinds';

/** The settings of one `completion-api` connection, normalised once when it starts. */
export interface ConnectionSettings {
  kind: ServerKind;
  baseUrl: string;
  /** Azure's `api-version` query parameter. */
  apiVersion: string;
  /** Headers the user added to every request (never the auth headers). */
  extraHeaders: Record<string, string>;
  apiKey?: string;
  organization?: string;
  project?: string;
  /** A user name and password written into the base URL (`http://user:pass@host`), sent as Basic auth. */
  basicAuth?: { username: string; password: string };
  /** Wait for response headers, and then between body chunks, before giving up. */
  timeoutMs: number;
  maxRetries: number;
  /** The longest wait between retries, whatever the server asks for. */
  maxRetryWaitMs: number;
  maxInFlight: number;
  maxQueue: number;
  /** What the requests waiting for a slot may hold in all, in bytes of request body. */
  maxQueueBytes: number;
  maxResponseBytes: number;
}

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';

/** Headers a user may not set: the connection owns authentication and framing. */
const RESERVED_HEADERS = new Set(['authorization', 'api-key', 'content-type', 'content-length', 'host', 'transfer-encoding', 'connection']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const DEFAULTS = {
  timeoutMs: 120_000,
  maxRetries: 2,
  maxRetryWaitMs: 60_000,
  maxInFlight: 4,
  maxQueue: 10_000,
  maxQueueBytes: 64 * 1024 * 1024,
  maxResponseBytes: 16 * 1024 * 1024,
};

/** Node.js timers hold at most 2^31 - 1 ms (about 24.8 days); a longer one fires at once. */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** A URL as text with any password in it masked, for messages that quote it. */
function redactUrl(text: string): string {
  return text.replace(/(\/\/[^/@:\s]*):[^/@\s]*@/g, '$1:***@');
}

/**
 * The base URL users mean: blank is OpenAI; trailing slashes and a pasted
 * `/completions` endpoint are dropped; a bare host gets `/v1`, the path every
 * OpenAI-compatible server serves.
 */
export function normalizeBaseUrl(input: string | undefined, kind: ServerKind = serverKind('openai')): string {
  const text = (input ?? '').trim();
  if (text === '') {
    if (!kind.addsV1) throw new Error(`${kind.label} needs the base URL of its resource endpoint`);
    return DEFAULT_BASE_URL;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`base URL "${redactUrl(text)}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`base URL "${redactUrl(text)}" must start with http:// or https://`);
  }
  let path = url.pathname.replace(/\/+$/, '').replace(/\/completions$/, '');
  if (!kind.addsV1) {
    // Azure paths are built from the resource endpoint; a pasted endpoint path is dropped.
    path = path.replace(/\/openai(\/.*)?$/, '');
    return `${url.protocol}//${url.host}${path}`;
  }
  if (path === '') path = '/v1';
  return `${url.protocol}//${url.host}${path}${url.search}`;
}

function positive(value: unknown, fallback: number, { allowZero = false } = {}): number {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(number) || number < 0 || (!allowZero && number === 0)) return fallback;
  return number;
}

export interface ConnectionConfig {
  serverKind?: string;
  apiVersion?: string;
  headers?: unknown;
  baseUrl?: string;
  timeout?: string | number;
  maxRetries?: string | number;
  maxInFlight?: string | number;
  maxQueue?: string | number;
  maxQueueMB?: string | number;
  maxResponseMB?: string | number;
}

export interface ConnectionCredentials {
  apiKey?: string;
  organization?: string;
  project?: string;
}

/**
 * The API key as given, or, when it reads `${NAME}`, the environment variable NAME:
 * a key can stay out of the flow's credentials file altogether.
 */
export function resolveApiKey(value: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const named = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(text);
  if (!named) return text;
  const fromEnv = env[named[1]]?.trim();
  return fromEnv ? fromEnv : undefined;
}

/** The user name and password of a base URL, if it holds them. */
function basicAuthOf(baseUrl: string | undefined): ConnectionSettings['basicAuth'] {
  try {
    const url = new URL((baseUrl ?? '').trim());
    if (!url.username && !url.password) return undefined;
    return { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  } catch {
    return undefined;
  }
}

/**
 * Every string of a connection that must never leave the node: the key, and a password
 * written into the base URL. Known before the settings are checked, so that even the
 * text of a setting's error can be scrubbed.
 */
export function connectionSecrets(config: ConnectionConfig, credentials: ConnectionCredentials = {}): string[] {
  const secrets: string[] = [];
  const apiKey = resolveApiKey(credentials.apiKey);
  if (apiKey) secrets.push(apiKey);
  const password = basicAuthOf(config.baseUrl)?.password;
  if (password) secrets.push(password);
  return secrets;
}

/** Settings from the config node's fields (strings, as the editor stores them) and credentials. */
export function connectionSettings(config: ConnectionConfig, credentials: ConnectionCredentials = {}): ConnectionSettings {
  const blankToUndefined = (v: string | undefined) => (v && v.trim() !== '' ? v.trim() : undefined);
  const kind = serverKind(config.serverKind);
  return {
    kind,
    baseUrl: normalizeBaseUrl(config.baseUrl, kind),
    apiVersion: blankToUndefined(config.apiVersion) ?? DEFAULT_AZURE_API_VERSION,
    extraHeaders: extraHeaders(config.headers),
    apiKey: resolveApiKey(credentials.apiKey),
    organization: blankToUndefined(credentials.organization),
    project: blankToUndefined(credentials.project),
    basicAuth: basicAuthOf(config.baseUrl),
    timeoutMs: timeoutSeconds(config.timeout) * 1000,
    maxRetries: Math.floor(positive(config.maxRetries, DEFAULTS.maxRetries, { allowZero: true })),
    maxRetryWaitMs: DEFAULTS.maxRetryWaitMs,
    maxInFlight: Math.max(1, Math.floor(positive(config.maxInFlight, DEFAULTS.maxInFlight))),
    maxQueue: Math.floor(positive(config.maxQueue, DEFAULTS.maxQueue, { allowZero: true })),
    maxQueueBytes: positive(config.maxQueueMB, DEFAULTS.maxQueueBytes / 2 ** 20, { allowZero: true }) * 2 ** 20,
    maxResponseBytes: positive(config.maxResponseMB, DEFAULTS.maxResponseBytes / 2 ** 20) * 2 ** 20,
  };
}

function timeoutSeconds(value: unknown): number {
  const seconds = positive(value, DEFAULTS.timeoutMs / 1000);
  if (seconds > MAX_TIMEOUT_SECONDS) throw new Error(`timeout ${seconds} s is longer than the longest Node.js can wait, ${MAX_TIMEOUT_SECONDS} s (about 24.8 days)`);
  return seconds;
}

/** The dialog's extra headers as a header object; malformed and reserved names are left out. */
export function extraHeaders(rows: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!Array.isArray(rows)) return headers;
  for (const row of rows) {
    const { name, value } = (row ?? {}) as { name?: unknown; value?: unknown };
    if (typeof name !== 'string' || !HEADER_NAME.test(name.trim()) || RESERVED_HEADERS.has(name.trim().toLowerCase())) continue;
    headers[name.trim()] = String(value ?? '').replace(/[\r\n]/g, '');
  }
  return headers;
}
