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
  /**
   * Sent as Basic auth: the user and password credentials, or, for a flow saved before
   * there were such credentials, a `user:pass@` still in its base URL.
   */
  basicAuth?: { username: string; password: string };
  /** Strings that must never leave the node in any text (see connectionSecrets). */
  secrets: string[];
  /** How long a connection to the server may take to open. */
  connectTimeoutMs: number;
  /** How long the server may take to start its answer (a local model may think for minutes before it does). */
  responseTimeoutMs: number;
  /** The longest silence between two pieces of an answer (stream events, body chunks). */
  idleTimeoutMs: number;
  maxRetries: number;
  /** The longest wait between retries, whatever the server asks for (a loading model may ask for minutes). */
  maxRetryWaitMs: number;
  /** Retry a request the server had accepted and then did not answer in time (it may still be generating). */
  retryTimeouts: boolean;
  maxInFlight: number;
  maxQueue: number;
  /** What the requests waiting for a slot may hold in all, in bytes of request body. */
  maxQueueBytes: number;
  maxResponseBytes: number;
  /** Refuse, before sending, a prompt that with max_tokens cannot fit the model's context. */
  contextGuard: boolean;
  /** The model's context in tokens, when the server does not say it. */
  contextLength?: number;
  /** Prices per million prompt and completion tokens, for `msg.cost`. */
  prices?: { prompt: number; completion: number };
  budget: { tokens?: number; cost?: number; period: 'hour' | 'day' };
  /** Answers to deterministic requests kept, or none. */
  cache?: { ttlMs: number; maxEntries: number; maxBytes: number };
}

export const DEFAULT_AZURE_API_VERSION = '2024-10-21';
/** Azure's api-version: a date, maybe with a suffix such as "-preview". */
export const API_VERSION_PATTERN = '^[A-Za-z0-9._-]+$';

/** Headers a user may not set: the connection owns authentication and framing. */
export const RESERVED_HEADERS = ['authorization', 'api-key', 'content-type', 'content-length', 'host', 'transfer-encoding', 'connection'];
/** RFC 9110 token: the characters a header name may have. */
export const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
/** What Node.js sends in a header value: tab, visible ASCII, Latin-1; no line breaks. */
export const HEADER_VALUE_PATTERN = '^[\\t\\x20-\\x7e\\x80-\\xff]*$';
const HEADER_NAME = new RegExp(HEADER_NAME_PATTERN);
const HEADER_VALUE = new RegExp(HEADER_VALUE_PATTERN);

/** Node.js timers hold at most 2^31 - 1 ms (about 24.8 days); a longer one fires at once. */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

interface NumberField {
  /** Absent: the field is optional, and blank means none. */
  default?: number;
  min: number;
  /** The minimum itself is not allowed. */
  aboveMin?: boolean;
  max?: number;
  integer?: boolean;
}

/**
 * The connection's number fields as the dialog shows them (seconds, megabytes, counts):
 * defaults and bounds, which the editor reads too.
 */
export const CONNECTION_FIELDS = {
  connectTimeout: { default: 10, min: 0, aboveMin: true, max: MAX_TIMEOUT_SECONDS },
  responseTimeout: { default: 600, min: 0, aboveMin: true, max: MAX_TIMEOUT_SECONDS },
  idleTimeout: { default: 60, min: 0, aboveMin: true, max: MAX_TIMEOUT_SECONDS },
  maxRetries: { default: 2, min: 0, max: 100, integer: true },
  maxRetryWait: { default: 120, min: 0, max: MAX_TIMEOUT_SECONDS },
  maxInFlight: { default: 4, min: 1, max: 10_000, integer: true },
  maxQueue: { default: 10_000, min: 0, max: 10_000_000, integer: true },
  maxQueueMB: { default: 64, min: 0, max: 1_000_000 },
  maxResponseMB: { default: 16, min: 0, aboveMin: true, max: 1_000_000 },
  contextLength: { min: 0, aboveMin: true, max: 100_000_000, integer: true },
  pricePrompt: { min: 0, max: 1_000_000 },
  priceCompletion: { min: 0, max: 1_000_000 },
  budgetTokens: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  budgetCost: { min: 0, max: 1_000_000_000 },
  cacheTtl: { default: 300, min: 0, aboveMin: true, max: MAX_TIMEOUT_SECONDS },
  cacheEntries: { default: 1000, min: 1, max: 1_000_000, integer: true },
  cacheMB: { default: 32, min: 0, aboveMin: true, max: 100_000 },
} satisfies Record<string, NumberField>;
export type ConnectionField = keyof typeof CONNECTION_FIELDS;

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
    if (kind.profile.defaultBaseUrl === null) throw new Error(`${kind.label} needs a base URL`);
    return kind.profile.defaultBaseUrl;
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

/**
 * A number field as the dialog stores it (a string): blank is its default; anything
 * else must read as a number within its bounds, or the connection is refused, naming it.
 */
function numberField(config: ConnectionConfig, name: ConnectionField, fallback?: unknown): number {
  const value = optionalNumberField(config, name, fallback);
  if (value === undefined) throw new Error(`${name} has no default`);
  return value;
}

function optionalNumberField(config: ConnectionConfig, name: ConnectionField, fallback?: unknown): number | undefined {
  const field: NumberField = CONNECTION_FIELDS[name];
  const raw = config[name] ?? fallback;
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return field.default;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
  const tooLow = field.aboveMin ? value <= field.min : value < field.min;
  if (!Number.isFinite(value) || tooLow || (field.integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be ${field.integer ? 'a whole number' : 'a number'} ${field.aboveMin ? 'above' : 'of at least'} ${field.min} (got ${JSON.stringify(raw)})`);
  }
  if (field.max !== undefined && value > field.max) {
    const why = field.max === MAX_TIMEOUT_SECONDS ? `, the longest Node.js can wait (about 24.8 days)` : '';
    throw new Error(`${name} ${value} is above its maximum of ${field.max}${why}`);
  }
  return value;
}

export type ConnectionConfig = Partial<Record<ConnectionField, string | number>> & {
  serverKind?: string;
  apiVersion?: string;
  headers?: unknown;
  baseUrl?: string;
  retryTimeouts?: boolean | string;
  contextGuard?: boolean | string;
  budgetPeriod?: string;
  cache?: boolean | string;
  /** The one timeout of flows saved before there were three: it stands for the response and idle timeouts. */
  timeout?: string | number;
};

export interface ConnectionCredentials {
  apiKey?: string;
  organization?: string;
  project?: string;
  /** Basic auth, for a server (or the proxy in front of it) that asks for a user and password. */
  username?: string;
  password?: string;
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

/** A percent-encoded part of a URL as the user meant it; as written when it is no valid encoding (`100%`). */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The user name and password of a base URL, if it holds them: decoded, and as written. The
 * editor decodes them the same way when it moves them into the credentials.
 */
function userinfoOf(baseUrl: string | undefined): { username: string; password: string; rawPassword: string } | undefined {
  let url: URL;
  try {
    url = new URL((baseUrl ?? '').trim());
  } catch {
    return undefined;
  }
  if (!url.username && !url.password) return undefined;
  return { username: percentDecoded(url.username), password: percentDecoded(url.password), rawPassword: url.password };
}

/**
 * The Basic auth a connection sends. The credentials win; a base URL's `user:pass@` is the
 * fallback for flows saved before there were credentials for it (the editor moves it into
 * them when the dialog is saved), so those flows keep working.
 */
function basicAuthOf(config: ConnectionConfig, credentials: ConnectionCredentials): ConnectionSettings['basicAuth'] {
  const username = credentials.username?.trim() ?? '';
  const password = credentials.password ?? '';
  if (username !== '' || password !== '') return { username, password };
  const fromUrl = userinfoOf(config.baseUrl);
  return fromUrl && { username: fromUrl.username, password: fromUrl.password };
}

/** The value of the Authorization header that carries a user and password. */
export function basicAuthorization(basic: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`;
}

/**
 * Every string of a connection that must never leave the node: the key; the Basic auth
 * password, whether a credential or written into the base URL (decoded, and as written,
 * for a text that quotes the URL); and the Basic header's base64 value, which a server
 * echoing its request headers would otherwise hand back as good as the password. Known
 * before the settings are checked, so that even the text of a setting's error can be
 * scrubbed.
 */
export function connectionSecrets(config: ConnectionConfig, credentials: ConnectionCredentials = {}): string[] {
  const secrets: string[] = [];
  const apiKey = resolveApiKey(credentials.apiKey);
  if (apiKey) secrets.push(apiKey);
  if (credentials.password) secrets.push(credentials.password);
  const fromUrl = userinfoOf(config.baseUrl);
  if (fromUrl?.password) secrets.push(fromUrl.password, fromUrl.rawPassword);
  const basic = basicAuthOf(config, credentials);
  if (basic?.password) secrets.push(basicAuthorization(basic).slice('Basic '.length));
  return [...new Set(secrets)];
}

/** Settings from the config node's fields (strings, as the editor stores them) and credentials. */
export function connectionSettings(config: ConnectionConfig, credentials: ConnectionCredentials = {}): ConnectionSettings {
  const blankToUndefined = (v: string | undefined) => (v && v.trim() !== '' ? v.trim() : undefined);
  const kind = serverKind(config.serverKind);
  const apiVersion = blankToUndefined(config.apiVersion) ?? DEFAULT_AZURE_API_VERSION;
  if (!new RegExp(API_VERSION_PATTERN).test(apiVersion)) throw new Error(`api-version "${apiVersion}" may hold only letters, digits, ".", "_" and "-"`);
  const seconds = (name: ConnectionField, fallback?: unknown) => numberField(config, name, fallback) * 1000;
  const megabytes = (name: ConnectionField) => Math.floor(numberField(config, name) * 2 ** 20);
  const basicAuth = basicAuthOf(config, credentials);
  // Basic auth joins the two with the first colon: the server would split such a name wrongly.
  if (basicAuth?.username.includes(':')) throw new Error('the user name for Basic auth may not hold a colon ":"');
  return {
    kind,
    baseUrl: normalizeBaseUrl(config.baseUrl, kind),
    apiVersion,
    extraHeaders: extraHeaders(config.headers),
    apiKey: resolveApiKey(credentials.apiKey),
    organization: blankToUndefined(credentials.organization),
    project: blankToUndefined(credentials.project),
    basicAuth,
    secrets: connectionSecrets(config, credentials),
    connectTimeoutMs: seconds('connectTimeout'),
    responseTimeoutMs: seconds('responseTimeout', config.timeout),
    idleTimeoutMs: seconds('idleTimeout', config.timeout),
    maxRetries: numberField(config, 'maxRetries'),
    maxRetryWaitMs: seconds('maxRetryWait'),
    retryTimeouts: isTrue(config.retryTimeouts),
    maxInFlight: numberField(config, 'maxInFlight'),
    maxQueue: numberField(config, 'maxQueue'),
    maxQueueBytes: megabytes('maxQueueMB'),
    maxResponseBytes: megabytes('maxResponseMB'),
    contextGuard: !isFalse(config.contextGuard),
    contextLength: optionalNumberField(config, 'contextLength'),
    prices: pricesOf(config),
    budget: {
      tokens: optionalNumberField(config, 'budgetTokens'),
      cost: optionalNumberField(config, 'budgetCost'),
      period: config.budgetPeriod === 'hour' ? 'hour' : 'day',
    },
    cache: isTrue(config.cache)
      ? { ttlMs: seconds('cacheTtl'), maxEntries: numberField(config, 'cacheEntries'), maxBytes: megabytes('cacheMB') }
      : undefined,
  };
}

const isTrue = (value: unknown) => value === true || value === 'true';
const isFalse = (value: unknown) => value === false || value === 'false';

function pricesOf(config: ConnectionConfig): ConnectionSettings['prices'] {
  const prompt = optionalNumberField(config, 'pricePrompt');
  const completion = optionalNumberField(config, 'priceCompletion');
  if (prompt === undefined && completion === undefined) return undefined;
  return { prompt: prompt ?? 0, completion: completion ?? 0 };
}

/** The dialog's extra headers as a header object; malformed and reserved names are left out. */
export function extraHeaders(rows: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!Array.isArray(rows)) return headers;
  for (const row of rows) {
    const { name, value } = (row ?? {}) as { name?: unknown; value?: unknown };
    if (typeof name !== 'string' || !HEADER_NAME.test(name.trim()) || RESERVED_HEADERS.includes(name.trim().toLowerCase())) continue;
    const text = String(value ?? '');
    if (HEADER_VALUE.test(text)) headers[name.trim()] = text;
  }
  return headers;
}
