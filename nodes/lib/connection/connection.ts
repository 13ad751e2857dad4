import { connectionSettings, type ConnectionConfig, type ConnectionCredentials, type ConnectionSettings } from './settings';
import { Limiter } from './limiter';
import { Transport } from '../http/transport';
import { CompletionError } from '../errors/errors';
import { readBody } from '../http/read-body';
import { scrubText } from '../errors/scrub';
import type { AgentOptions } from 'node:https';

/**
 * Everything the nodes using one `completion-api` share: its settings, one HTTP
 * client with keep-alive sockets, and the limit on requests in flight.
 */
export class Connection {
  readonly transport: Transport;
  readonly limiter: Limiter;
  /** Strings that must never leave the node in any text. */
  readonly secrets: string[];

  /** `proxyEnv`: proxy variables that replace the process environment's (a Node-RED http proxy node). */
  constructor(readonly settings: ConnectionSettings, tls: AgentOptions = {}, proxyEnv?: NodeJS.ProcessEnv) {
    this.transport = new Transport(settings, tls, proxyEnv);
    this.limiter = new Limiter(settings.maxInFlight, settings.maxQueue, settings.maxQueueBytes);
    this.secrets = [settings.apiKey, settings.basicAuth?.password].filter((s): s is string => Boolean(s));
  }

  static fromConfig(config: ConnectionConfig, credentials: ConnectionCredentials | undefined, tls?: AgentOptions, proxyEnv?: NodeJS.ProcessEnv): Connection {
    return new Connection(connectionSettings(config, credentials ?? {}), tls, proxyEnv);
  }

  /** The model ids the server lists at `GET /models`. */
  async listModels(signal: AbortSignal): Promise<string[]> {
    const response = await this.transport.open(this.settings.kind.modelsPath(this.settings.apiVersion), undefined, false, signal);
    const raw = await readBody(response.body, { maxBytes: 4 * 2 ** 20, idleMs: this.settings.timeoutMs }, signal);
    if (response.status < 200 || response.status >= 300) {
      throw new CompletionError('HTTP_ERROR', `HTTP ${response.status} from GET /models`, { status: response.status });
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new CompletionError('BAD_RESPONSE', 'GET /models did not answer JSON');
    }
    const data = (body as { data?: unknown; models?: unknown } | null)?.data ?? (body as { models?: unknown } | null)?.models;
    if (!Array.isArray(data)) return [];
    // The editor's user may only read flows: a server that lists the key as a model
    // must not hand it to them.
    return data
      .map((m) => (typeof m === 'string' ? m : (m as { id?: unknown; name?: unknown })?.id ?? (m as { name?: unknown })?.name))
      .filter((id): id is string => typeof id === 'string')
      .map((id) => scrubText(id, this.secrets))
      .sort();
  }

  close(): void {
    this.transport.close();
  }
}
