import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { pipeline, type Duplex, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { abortError, CompletionError } from '../errors/errors';
import type { ConnectionSettings } from '../connection/settings';
import { proxyFor } from './proxy';

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** A response whose headers have arrived; the body is still to be read. */
export interface OpenResponse {
  status: number;
  headers: ResponseHeaders;
  body: Readable;
}

const PACKAGE_VERSION: string = (() => {
  try {
    return String(require('../../../../package.json').version);
  } catch {
    return '0';
  }
})();

/**
 * One HTTP client per connection, on Node's own http and https modules, with
 * keep-alive sockets shared by every node that uses it. (A general-purpose client
 * cost three times the CPU per request here: see the README's benchmark.) Bodies
 * come back as streams, so the caller can cap their size, time the gaps between
 * chunks and decode server-sent events as they arrive. Proxies come from the
 * environment (proxy-for.ts): plain HTTP through the proxy, HTTPS tunnelled with
 * CONNECT.
 */
export class Transport {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent: https.Agent;
  private readonly tunnels = new Map<string, TunnelAgent>();

  /** `tlsOptions`: CA, client certificate and verification (from a Node-RED tls-config node). */
  constructor(
    private readonly settings: ConnectionSettings,
    private readonly tlsOptions: https.AgentOptions = {},
    /** Proxy variables in place of the process environment's; read per request when absent. */
    private readonly proxyEnv?: NodeJS.ProcessEnv,
  ) {
    this.httpsAgent = new https.Agent({ keepAlive: true, ...tlsOptions });
  }

  headers(stream: boolean): Record<string, string> {
    const auth = this.settings.kind.authHeaders(this.settings);
    // Credentials in the base URL go as Basic auth, as curl sends them, unless the key
    // already takes the Authorization header.
    const basic = this.settings.basicAuth;
    if (basic && !auth.Authorization) auth.Authorization = `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`;
    return {
      'User-Agent': `node-red-contrib-create-completion/${PACKAGE_VERSION}`,
      ...this.settings.extraHeaders,
      ...auth,
      'Content-Type': 'application/json',
      Accept: stream ? 'text/event-stream' : 'application/json',
    };
  }

  /** Sends one request (a POST when there is a body) and resolves when the response headers are in. */
  open(path: string, body: string | undefined, stream: boolean, signal: AbortSignal): Promise<OpenResponse> {
    return new Promise<OpenResponse>((resolve, reject) => {
      let request: http.ClientRequest;
      try {
        request = this.request(new URL(this.settings.baseUrl + path), body, stream, signal);
      } catch (error) {
        reject(networkError(error, signal));
        return;
      }
      // Every way a request can end settles the promise: a response, an error, a switch
      // of protocols (101, which node:http hands to 'upgrade' and then nothing else),
      // or a socket closed with no answer at all.
      let settled = false;
      const fail = (error: CompletionError) => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      request.once('response', (response) => {
        settled = true;
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: decoded(response) });
      });
      request.once('upgrade', (response, socket) => {
        socket.destroy();
        fail(new CompletionError('BAD_RESPONSE', `the server switched protocols (HTTP ${response.statusCode}) instead of answering`, { status: response.statusCode }));
      });
      request.once('error', (error) => fail(networkError(error, signal)));
      request.once('close', () => fail(networkError(new Error('the connection closed without a response'), signal)));
      request.end(body);
    });
  }

  private request(url: URL, body: string | undefined, stream: boolean, signal: AbortSignal): http.ClientRequest {
    const headers: Record<string, string | number> = this.headers(stream);
    if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
    const method = body === undefined ? 'GET' : 'POST';
    const secure = url.protocol === 'https:';
    const proxy = proxyFor(url, this.proxyEnv ?? process.env);
    if (proxy && !secure) {
      // A plain-HTTP request goes to the proxy whole, its target in absolute form.
      const auth = proxyAuthorization(proxy);
      if (auth) headers['Proxy-Authorization'] = auth;
      return (proxy.protocol === 'https:' ? https : http).request({
        hostname: proxy.hostname, port: proxy.port, path: url.href, method, signal,
        headers: { ...headers, Host: url.host },
        agent: proxy.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
      });
    }
    return (secure ? https : http).request({
      hostname: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, signal,
      agent: !secure ? this.httpAgent : proxy ? this.tunnel(proxy) : this.httpsAgent,
    });
  }

  private tunnel(proxy: URL): TunnelAgent {
    let agent = this.tunnels.get(proxy.href);
    if (!agent) {
      agent = new TunnelAgent(proxy, { keepAlive: true, ...this.tlsOptions });
      this.tunnels.set(proxy.href, agent);
    }
    return agent;
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    for (const agent of this.tunnels.values()) agent.destroy();
  }
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
  constructor(private readonly proxy: URL, options: https.AgentOptions) {
    super(options);
  }

  override createConnection(options: tls.ConnectionOptions & { host?: string; port?: number }, callback: (error: Error | null, socket?: Duplex) => void): undefined {
    const target = `${options.host}:${options.port ?? 443}`;
    const headers: Record<string, string> = { Host: target };
    const auth = proxyAuthorization(this.proxy);
    if (auth) headers['Proxy-Authorization'] = auth;
    const connect = (this.proxy.protocol === 'https:' ? https : http).request({
      hostname: this.proxy.hostname, port: this.proxy.port, method: 'CONNECT', path: target, headers, agent: false,
    });
    connect.once('connect', (answer, socket) => {
      if (answer.statusCode !== 200) {
        socket.destroy();
        callback(new Error(`proxy refused the tunnel to ${target}: HTTP ${answer.statusCode}`));
        return;
      }
      callback(null, tls.connect({ ...options, socket, servername: options.servername ?? options.host }));
    });
    connect.once('error', (error) => callback(error));
    connect.end();
    return undefined;
  }
}

/**
 * A failed send as our one error type, keeping only the error's code and message:
 * nothing of the request (its headers carry the key) travels on.
 */
function networkError(error: unknown, signal: AbortSignal): CompletionError {
  if (error instanceof CompletionError) return error;
  if (signal.aborted) return abortError(signal);
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return new CompletionError('NETWORK_ERROR', `network error: ${message}`, { code: code ?? null });
}
