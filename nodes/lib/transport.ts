import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance } from 'axios';
import { CompletionError } from './errors';
import type { ConnectionSettings } from './connection-settings';

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** A response whose headers have arrived; the body is still to be read. */
export interface OpenResponse {
  status: number;
  headers: ResponseHeaders;
  body: Readable;
}

const PACKAGE_VERSION: string = (() => {
  try {
    return String(require('../../../package.json').version);
  } catch {
    return '0';
  }
})();

/**
 * One HTTP client per connection, with keep-alive sockets shared by every node that
 * uses it. Bodies always come back as streams so the caller can cap their size,
 * time the gaps between chunks and decode server-sent events as they arrive.
 */
export class Transport {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent: https.Agent;
  private readonly client: AxiosInstance;

  /** `tls`: CA, client certificate and verification options (from a Node-RED tls-config node). */
  constructor(private readonly settings: ConnectionSettings, tls: https.AgentOptions = {}) {
    this.httpsAgent = new https.Agent({ keepAlive: true, ...tls });
    this.client = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      responseType: 'stream',
      // Every status is an answer to report; retries and errors are decided above.
      validateStatus: () => true,
      // A redirected POST would silently become a GET; report the 3xx instead.
      maxRedirects: 0,
      decompress: true,
      transformRequest: [(data: unknown) => data],
    });
  }

  headers(stream: boolean): Record<string, string> {
    return {
      'User-Agent': `node-red-contrib-create-completion/${PACKAGE_VERSION}`,
      ...this.settings.extraHeaders,
      ...this.settings.kind.authHeaders(this.settings),
      'Content-Type': 'application/json',
      Accept: stream ? 'text/event-stream' : 'application/json',
    };
  }

  /** Sends one request (a POST when there is a body) and resolves when the response headers are in. */
  async open(path: string, body: string | undefined, stream: boolean, signal: AbortSignal): Promise<OpenResponse> {
    try {
      const response = await this.client.request({
        url: this.settings.baseUrl + path,
        method: body === undefined ? 'GET' : 'POST',
        data: body,
        headers: this.headers(stream),
        signal,
      });
      return { status: response.status, headers: plainHeaders(response.headers), body: response.data as Readable };
    } catch (error) {
      throw networkError(error, signal);
    }
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function plainHeaders(headers: unknown): ResponseHeaders {
  const source = headers && typeof (headers as { toJSON?: unknown }).toJSON === 'function'
    ? (headers as { toJSON(): Record<string, unknown> }).toJSON()
    : (headers as Record<string, unknown>) ?? {};
  const out: ResponseHeaders = {};
  for (const [name, value] of Object.entries(source)) {
    if (typeof value === 'string' || Array.isArray(value)) out[name.toLowerCase()] = value as string | string[];
    else if (value !== undefined && value !== null) out[name.toLowerCase()] = String(value);
  }
  return out;
}

/**
 * A failed send as our one error type. Only the error code and axios' own short
 * message are kept: the axios error carries the request config, headers included,
 * and must not travel on.
 */
export function networkError(error: unknown, signal: AbortSignal): CompletionError {
  if (error instanceof CompletionError) return error;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof CompletionError) return reason;
    return new CompletionError('ABORTED', 'request cancelled: the flow was stopped');
  }
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return new CompletionError('NETWORK_ERROR', `network error: ${message}`, { code: code ?? null });
}
