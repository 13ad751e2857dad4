import type { AgentOptions } from 'node:https';
import { abortError, CompletionError } from '../errors/errors';
import { scrubText } from '../errors/scrub';
import { attempt, type CompletionResponse, type OnEvent } from '../http/attempt';
import { readBody } from '../http/read-body';
import { decide } from '../http/retry-policy';
import { Transport } from '../http/transport';
import { Limiter } from './limiter';
import { connectionSettings, type ConnectionConfig, type ConnectionCredentials, type ConnectionSettings } from './settings';

export type { CompletionResponse } from '../http/attempt';

export interface CompleteOptions {
  signal: AbortSignal;
  /** The request must wait for a free slot. */
  onQueued?(): void;
  /** The request got its slot and is about to be sent. */
  onStart?(): void;
  /** A retry is about to wait `delayMs`; `reason` says what failed. */
  onRetry?(retry: number, reason: string, delayMs: number): void;
  onEvent?: OnEvent;
}

const MODEL_LIST_MAX_BYTES = 4 * 2 ** 20;

/**
 * Everything the nodes using one `completion-api` share: its settings, one HTTP
 * client with keep-alive sockets, and the limit on requests in flight. It completes
 * requests: through the limit and its queue, the retries, and the transport.
 */
export class Connection {
  readonly transport: Transport;
  private readonly limiter: Limiter;
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

  /**
   * Sends a built request and returns the server's answer, after any retries (one
   * policy, retry-policy.ts). A request that must wait for a slot lets go of its body
   * and is weighed by it against the queue's limit in bytes, so waiting messages
   * cannot fill the memory.
   */
  async complete(request: Record<string, unknown>, body: string, options: CompleteOptions): Promise<CompletionResponse> {
    let ready: string | undefined = body;
    let weight = 0;
    if (this.limiter.full) {
      weight = body.length;
      ready = undefined;
      options.onQueued?.();
    }
    return this.limiter.run(options.signal, () => {
      options.onStart?.();
      const text = ready ?? JSON.stringify(request);
      ready = undefined;
      return this.tryUntilDone(request, text, options);
    }, weight);
  }

  private async tryUntilDone(request: Record<string, unknown>, body: string, options: CompleteOptions): Promise<CompletionResponse> {
    const { kind, apiVersion } = this.settings;
    const call = { path: kind.completionsPath(request.model, apiVersion), body, stream: request.stream === true };
    for (let tries = 1; ; tries++) {
      const outcome = await attempt(this.transport, this.settings, call, options.signal, options.onEvent);
      const decision = decide(outcome, tries, this.settings);
      if (!decision.retry) {
        if (outcome.kind === 'failure') {
          outcome.error.cause.attempts = tries;
          throw outcome.error;
        }
        return { ...outcome.response!, attempts: tries };
      }
      options.onRetry?.(tries, decision.reason, decision.delayMs);
      await sleep(decision.delayMs, options.signal);
    }
  }

  /** The model ids the server lists at `GET /models`. */
  async listModels(signal: AbortSignal): Promise<string[]> {
    const response = await this.transport.open(this.settings.kind.modelsPath(this.settings.apiVersion), undefined, false, signal);
    const raw = await readBody(response.body, { maxBytes: MODEL_LIST_MAX_BYTES, idleMs: this.settings.idleTimeoutMs }, signal);
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

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
