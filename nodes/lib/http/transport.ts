import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { Socket } from 'node:net';
import { pipeline, type Duplex, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { abortError, CompletionError } from '../errors/errors';
import { basicAuthorization, type ConnectionSettings } from '../connection/settings';
import { proxyFor } from './proxy';
import type { CancelSignal } from '../errors/cancellation';
import { ownCopy } from '../own-copy';

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** A response whose headers have arrived; the body is still to be read. */
export interface OpenResponse {
  status: number;
  headers: ResponseHeaders;
  body: Readable;
}

/** Where a request goes: a path after the base URL, or after the server's origin (llama.cpp's /tokenize, say). */
export interface Target {
  path: string;
  fromOrigin?: boolean;
}

const PACKAGE_VERSION: string = (() => {
  try {
    return String(require('../../../../package.json').version);
  } catch {
    return '0';
  }
})();

type Settings = Pick<ConnectionSettings, 'kind' | 'baseUrl' | 'extraHeaders' | 'apiKey' | 'organization' | 'project' | 'basicAuth' | 'connectTimeoutMs'>;

/**
 * One HTTP client per connection, on Node's own http and https modules, with
 * keep-alive sockets shared by every node that uses it. Everything that is the same
 * for every request (headers, the proxy, the agent) is worked out once, here. Bodies
 * come back as streams, so the caller can cap their size, time the gaps between
 * chunks and decode server-sent events as they arrive. Proxies: plain HTTP through
 * the proxy, HTTPS tunnelled with CONNECT.
 */
export class Transport {
  private readonly base: URL;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly secure: boolean;
  private readonly proxy: URL | undefined;
  private readonly agent: http.Agent;
  private readonly headersFor: { json: Record<string, string>; stream: Record<string, string> };

  /**
   * `tlsOptions`: CA, client certificate and verification (from a Node-RED tls-config
   * node). `proxyEnv`: proxy variables in place of the process environment's (from a
   * Node-RED http proxy node).
   */
  constructor(private readonly settings: Settings, tlsOptions: https.AgentOptions = {}, proxyEnv?: NodeJS.ProcessEnv) {
    this.base = new URL(settings.baseUrl);
    this.origin = this.base.origin;
    this.basePath = this.base.pathname.replace(/\/+$/, '') + this.base.search;
    this.secure = this.base.protocol === 'https:';
    // Every request of a connection goes to the one server: its proxy is worked out once.
    this.proxy = proxyFor(this.base, proxyEnv ?? process.env);
    if (this.proxy && this.secure) this.agent = new TunnelAgent(this.proxy, settings.connectTimeoutMs, { keepAlive: true, ...tlsOptions });
    else if (this.proxy) this.agent = this.proxy.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    else this.agent = this.secure ? new https.Agent({ keepAlive: true, ...tlsOptions }) : new http.Agent({ keepAlive: true });
    const common = this.commonHeaders();
    this.headersFor = {
      json: { ...common, Accept: 'application/json' },
      stream: { ...common, Accept: 'text/event-stream' },
    };
  }

  private commonHeaders(): Record<string, string> {
    const auth = this.settings.kind.authHeaders(this.settings);
    // The key, where it goes as a Bearer token, takes the one Authorization header: a
    // user and password are for servers without a key (behind a proxy that asks for them).
    const basic = this.settings.basicAuth;
    if (basic && !auth.Authorization) auth.Authorization = basicAuthorization(basic);
    const headers: Record<string, string> = {
      'User-Agent': `node-red-contrib-create-completion/${PACKAGE_VERSION}`,
      ...this.settings.extraHeaders,
      ...auth,
      'Content-Type': 'application/json',
    };
    const proxyAuth = this.proxy && !this.secure ? proxyAuthorization(this.proxy) : undefined;
    if (proxyAuth) headers['Proxy-Authorization'] = proxyAuth;
    return headers;
  }

  /**
   * Sends one request (a POST when there is a body) and resolves when the response
   * headers are in; `answerTimeoutMs`, when given, bounds the wait for them (TIMEOUT). A
   * keep-alive socket the server had already closed (llama.cpp, for one, closes the
   * connection after a stream) fails before any answer: the request is then sent once
   * more on a fresh socket, as the server never saw it.
   *
   * The signal is watched here, with one listener while the headers are awaited (the
   * reader of the body watches it after that), rather than handed to http.request,
   * which ties a listener and an end-of-stream watcher to every request.
   */
  async open(target: Target | string, body: string | undefined, stream: boolean, signal: CancelSignal, answerTimeoutMs?: number): Promise<OpenResponse> {
    if (signal.aborted) throw abortError(signal);
    const call: Call = { signal, cancel: undefined };
    const timer =
      answerTimeoutMs === undefined
        ? undefined
        : setTimeout(() => call.cancel?.(new CompletionError('TIMEOUT', `no answer within ${answerTimeoutMs / 1000} s`, { phase: 'response' })), answerTimeoutMs);
    const onAbort = () => call.cancel?.(abortError(signal));
    signal.addEventListener('abort', onAbort);
    try {
      return await this.openOnce(target, body, stream, call);
    } catch (error) {
      if (!(error instanceof StaleSocket)) throw error;
      return await this.openOnce(target, body, stream, call).catch((again: unknown) => {
        throw again instanceof StaleSocket ? again.error : again;
      });
    } finally {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  private openOnce(target: Target | string, body: string | undefined, stream: boolean, call: Call): Promise<OpenResponse> {
    const { signal } = call;
    return new Promise<OpenResponse>((resolve, reject) => {
      // Every way a request can end settles the promise: a response, an error, a switch
      // of protocols (101, which node:http hands to 'upgrade' and then nothing else), a
      // connection that does not open in time, an abort or the answer's timeout, or a
      // socket closed with no answer at all.
      let settled = false;
      let connectTimer: NodeJS.Timeout | undefined;
      const fail = (error: CompletionError | StaleSocket) => {
        if (settled) return;
        settled = true;
        call.cancel = undefined;
        if (connectTimer) clearTimeout(connectTimer);
        reject(error);
      };
      if (signal.aborted) {
        fail(abortError(signal));
        return;
      }
      let request: http.ClientRequest;
      try {
        request = this.request(typeof target === 'string' ? { path: target } : target, body, stream);
      } catch (error) {
        fail(networkError(error, signal));
        return;
      }
      call.cancel = (error) => {
        request.destroy();
        fail(error);
      };
      // Listeners stay for the request's life (it is dropped after): `on` spares the wrapper
      // `once` makes for each, and a second 'error' still finds a listener.
      request.on('socket', (socket: Socket) => {
        if (!socket.connecting) return;
        connectTimer = setTimeout(() => {
          const error = new CompletionError('TIMEOUT', `no connection within ${this.settings.connectTimeoutMs / 1000} s`, { phase: 'connect' });
          request.destroy(error);
          fail(error);
        }, this.settings.connectTimeoutMs);
        socket.once('connect', () => clearTimeout(connectTimer));
      });
      request.on('response', (response) => {
        if (settled) {
          response.destroy();
          return;
        }
        settled = true;
        call.cancel = undefined;
        if (connectTimer) clearTimeout(connectTimer);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: decoded(response) });
      });
      request.on('upgrade', (response, socket) => {
        socket.destroy();
        fail(new CompletionError('BAD_RESPONSE', `the server switched protocols (HTTP ${response.statusCode}) instead of answering`, { status: response.statusCode }));
      });
      request.on('error', (error) => {
        if (settled) return;
        const failure = networkError(error, signal);
        fail(request.reusedSocket && failure.code === 'NETWORK_ERROR' && !signal.aborted ? new StaleSocket(failure) : failure);
      });
      // Every request closes, most of them after their answer: the error is made only for one that had none.
      request.on('close', () => {
        if (!settled) fail(networkError(new Error('the connection closed without a response'), signal));
      });
      request.end(body);
    });
  }

  private request(target: Target, body: string | undefined, stream: boolean): http.ClientRequest {
    const headers: Record<string, string | number> = ownCopy(stream ? this.headersFor.stream : this.headersFor.json);
    if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
    const method = body === undefined ? 'GET' : 'POST';
    const path = target.fromOrigin ? target.path : joinPath(this.basePath, target.path);
    if (this.proxy && !this.secure) {
      // A plain-HTTP request goes to the proxy whole, its target in absolute form.
      headers.Host = this.base.host;
      return (this.proxy.protocol === 'https:' ? https : http).request({
        hostname: this.proxy.hostname, port: this.proxy.port, path: this.origin + path, method,
        headers, agent: this.agent,
      });
    }
    return (this.secure ? https : http).request({
      hostname: this.base.hostname, port: this.base.port, path, method, headers, agent: this.agent,
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The base URL's path and the endpoint's, keeping the base URL's query (Azure's api-version sits in the endpoint's). */
function joinPath(basePath: string, path: string): string {
  const query = basePath.indexOf('?');
  if (query === -1) return basePath + path;
  const [endpoint, endpointQuery] = path.split('?');
  const extra = basePath.slice(query + 1);
  return `${basePath.slice(0, query)}${endpoint}?${endpointQuery ? `${endpointQuery}&` : ''}${extra}`;
}

/** The body as sent, or decompressed when a server (or a proxy) compressed it anyway. */
function decoded(response: http.IncomingMessage): Readable {
  const encoding = String(response.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? zlib.createGunzip()
    : encoding === 'deflate' ? zlib.createInflate()
    : encoding === 'br' ? zlib.createBrotliDecompress()
    : undefined;
  if (!decoder) return response;
  // pipeline ties the two ends together: a response that breaks fails the decoder, and a
  // decoder given up on (the size limit, an abort) destroys the response and its socket.
  pipeline(response, decoder, () => {});
  return decoder;
}

function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username) return undefined;
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

/** HTTPS through a proxy: each pooled socket is a TLS session inside a CONNECT tunnel. */
class TunnelAgent extends https.Agent {
  constructor(private readonly proxy: URL, private readonly connectTimeoutMs: number, options: https.AgentOptions) {
    super(options);
  }

  override createConnection(options: tls.ConnectionOptions & { host?: string; port?: number }, callback: (error: Error | null, socket?: Duplex) => void): undefined {
    const target = `${options.host}:${options.port ?? 443}`;
    const headers: Record<string, string> = { Host: target };
    const auth = proxyAuthorization(this.proxy);
    if (auth) headers['Proxy-Authorization'] = auth;
    let done = false;
    const finish = (error: Error | null, socket?: Duplex) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      callback(error, socket);
    };
    const connect = (this.proxy.protocol === 'https:' ? https : http).request({
      hostname: this.proxy.hostname, port: this.proxy.port, method: 'CONNECT', path: target, headers, agent: false,
    });
    // A proxy that never answers the CONNECT would otherwise hold the request forever.
    const timer = setTimeout(() => {
      connect.destroy();
      finish(new CompletionError('TIMEOUT', `the proxy did not open a tunnel to ${target} within ${this.connectTimeoutMs / 1000} s`, { phase: 'connect' }));
    }, this.connectTimeoutMs);
    connect.once('connect', (answer, socket) => {
      if (answer.statusCode !== 200) {
        socket.destroy();
        finish(new Error(`proxy refused the tunnel to ${target}: HTTP ${answer.statusCode}`));
        return;
      }
      finish(null, tls.connect({ ...options, socket, servername: options.servername ?? options.host }));
    });
    connect.once('error', (error) => finish(error));
    connect.end();
    return undefined;
  }
}

/** One call of open(): its signal, and how to end the request in flight (abort, timeout). */
interface Call {
  signal: CancelSignal;
  cancel: ((error: CompletionError) => void) | undefined;
}

/** A request that failed on a reused keep-alive socket before any answer: worth one more send. */
class StaleSocket extends Error {
  constructor(readonly error: CompletionError) {
    super(error.message);
  }
}

/**
 * A failed send as our one error type, keeping only the error's code and message:
 * nothing of the request (its headers carry the key) travels on.
 */
function networkError(error: unknown, signal: CancelSignal): CompletionError {
  if (error instanceof CompletionError) return error;
  if (signal.aborted) return abortError(signal);
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return new CompletionError('NETWORK_ERROR', `network error: ${message}`, { code: code ?? null });
}
