import type { NodeAPI, Node, NodeDef, NodeMessageInFlow, NodeMessage } from 'node-red';
import type { CompletionApiNode } from './lib/connection/completion-api-node';
import { callCompletion, type CompletionResponse } from './lib/http/call-completion';
import { CompletionError } from './lib/errors/errors';
import { dialogDefaults, type DialogFields } from './lib/request/dialog-defaults';
import { buildRequest } from './lib/request/build-request';
import { publicError } from './lib/errors/public-error';
import { resultMessages, tokensUsed, RESULT_FORMATS, type Message, type MessageSource, type ResultFormat } from './lib/results/result-messages';
import { expectedChoices, StreamMessages } from './lib/results/stream-messages';
import { describeProblems } from './lib/request/validate';

interface CreateCompletionDef extends NodeDef, DialogFields {
  api: string;
  prompt?: string;
  promptType?: string;
  resultFormat?: string;
}

type Send = (msg: NodeMessage | Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;

const STATUS_TEXT_MAX = 60;

export = function register(RED: NodeAPI): void {
  function CreateCompletion(this: Node, config: CreateCompletionDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const defaults = dialogDefaults(config);
    const format: ResultFormat = (RESULT_FORMATS as readonly string[]).includes(config.resultFormat ?? '')
      ? (config.resultFormat as ResultFormat)
      : 'raw';
    const promptType = config.promptType || 'str';
    const inFlight = new Set<AbortController>();
    const settling = new Set<Promise<void>>();
    let waiting = 0;
    let closed = false;

    const t = (key: string, values?: Record<string, string | number>) => RED._(`create-completion.${key}`, values);
    // RED._ costs microseconds per call: the fixed texts are looked up once.
    const requestingText = t('status.requesting');
    const doneTemplate = t('status.done', { status: '\u0001', tokens: '\u0002' });
    const doneNoUsageTemplate = t('status.doneNoUsage', { status: '\u0001' });
    const doneText = (code: number, tokens: number | undefined) =>
      tokens === undefined
        ? doneNoUsageTemplate.replace('\u0001', String(code))
        : doneTemplate.replace('\u0001', String(code)).replace('\u0002', String(tokens));
    const status = (fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey', shape: 'dot' | 'ring', text: string) => {
      if (!closed) node.status({ fill, shape, text: text.length > STATUS_TEXT_MAX ? `${text.slice(0, STATUS_TEXT_MAX - 1)}…` : text });
    };

    const connectionNode = () => RED.nodes.getNode(config.api) as CompletionApiNode | null;

    /** The dialog's prompt for this message: a typed input (msg, flow, env, JSON...) evaluated per message. */
    const editorPrompt = (msg: NodeMessageInFlow): Promise<unknown> => {
      if (promptType === 'str') return Promise.resolve(config.prompt ? config.prompt : undefined);
      return new Promise((resolve, reject) => {
        RED.util.evaluateNodeProperty(config.prompt ?? '', promptType, node, msg, (err: Error | null, value: unknown) =>
          err ? reject(new CompletionError('INVALID_REQUEST', `prompt: ${err.message}`, { fields: [{ field: 'prompt', reason: err.message }] })) : resolve(value),
        );
      });
    };

    async function handle(msg: NodeMessageInFlow, send: Send): Promise<void> {
      const api = connectionNode();
      if (!api) throw new CompletionError('NO_CONNECTION', t('errors.noConnection'));
      if (!api.connection) throw new CompletionError('NO_CONNECTION', t('errors.badConnection', { reason: api.connectionError ?? '' }));
      const connection = api.connection;

      const prepared = buildRequest(defaults, await editorPrompt(msg), msg.payload, connection.settings.kind);
      if (!prepared.ok) {
        status('red', 'ring', t('status.invalid', { fields: prepared.problems.map((p) => p.field).join(', ') }));
        throw new CompletionError('INVALID_REQUEST', `invalid request: ${describeProblems(prepared.problems)}`, { fields: prepared.problems });
      }
      const { request } = prepared;
      let body: string | undefined = prepared.body;

      // The results are copies of the input message: one that cannot be copied fails
      // here, before anything is sent, not after the server has done the work.
      let template: Message;
      try {
        const { payload: _payload, ...rest } = msg;
        template = RED.util.cloneMessage(rest) as Message;
      } catch (error) {
        const reason = `cannot be copied: ${error instanceof Error ? error.message : String(error)}`;
        throw new CompletionError('INVALID_REQUEST', `the message ${reason}`, { fields: [{ field: 'msg', reason }] });
      }
      let unused = true;
      const source: MessageSource = {
        sequenceId: RED.util.generateId(),
        copy: () => {
          if (unused) {
            unused = false;
            return template;
          }
          return RED.util.cloneMessage(template) as Message;
        },
      };
      // Secrets are taken out where server content enters (call-completion.ts), so
      // results need no second pass.
      const emit = (message: Message) => {
        if (!closed) send([message as NodeMessage, null]);
      };
      const streamed = new StreamMessages(format, source, expectedChoices(request));
      const controller = new AbortController();
      inFlight.add(controller);
      let chunks = 0;
      let queuedHere = false;
      const leaveQueue = () => {
        if (queuedHere) waiting--;
        queuedHere = false;
      };
      try {
        // A request that must wait lets go of its body, and is weighed by it against the
        // queue's limit in bytes: waiting messages must not fill the memory.
        let weight = 0;
        if (connection.limiter.full) {
          weight = body.length;
          body = undefined;
          queuedHere = true;
          waiting++;
          status('yellow', 'ring', t('status.queued', { count: waiting }));
        }
        const response: CompletionResponse = await connection.limiter.run(controller.signal, () => {
          leaveQueue();
          status('blue', 'dot', requestingText);
          return callCompletion(connection.transport, connection.settings, request, controller.signal, {
            onRetry: (retry, reason) => status('yellow', 'ring', t('status.retrying', { attempt: retry, reason })),
            onEvent: (chunk, index, code) => {
              chunks = index + 1;
              for (const message of streamed.chunk(chunk, code)) emit(message);
              if (index % 16 === 0) status('blue', 'dot', t('status.streaming', { count: chunks }));
            },
          }, body ?? JSON.stringify(request));
        }, weight);
        for (const message of response.events > 0 ? streamed.final(response) : resultMessages(format, response, source)) emit(message);
        if (!closed) send([null, msg]);
        const tokens = tokensUsed(response.body);
        const ok = response.status >= 200 && response.status < 300;
        status(ok ? 'green' : 'yellow', 'dot', doneText(response.status, tokens));
      } catch (error) {
        // A join behind a stream that broke off would hold its partial group forever.
        for (const message of streamed.resets()) emit(message);
        throw error;
      } finally {
        leaveQueue();
        inFlight.delete(controller);
      }
    }

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      // Node-RED clones the message to hand it to Catch and Complete nodes, which can
      // throw (a message nested thousands of levels deep): that must not escape as an
      // unhandled rejection, which would stop the whole process.
      const finish = (error?: Error) => {
        try {
          done(error);
        } catch (failure) {
          // Node-RED could not copy the message for a Catch node, which then never
          // hears of the error: report it with what of the message can be copied.
          if (error) node.error(error, copyableMessage(msg, (value) => RED.util.cloneMessage(value as NodeMessage)));
          else node.error(`could not end the message: ${(failure as Error).message}`);
        }
      };
      const settled = handle(msg, send).then(
        () => finish(),
        (error: unknown) => {
          const failure = publicError(error, connectionNode()?.connection?.secrets ?? []);
          if (failure.code !== 'INVALID_REQUEST') status('red', 'ring', t('status.failed', { reason: failure.message }));
          finish(failure);
        },
      );
      settling.add(settled);
      settled.finally(() => settling.delete(settled)).catch(() => {});
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      // Aborted without a reason of ours, each request ends as ABORTED (errors.ts, abortError).
      for (const controller of inFlight) controller.abort();
      Promise.allSettled([...settling]).then(() => {
        node.status({});
        done();
      });
    });
  }

  RED.nodes.registerType('create-completion', CreateCompletion);
};

/**
 * The properties of a message that Node-RED can copy; each one that cannot (nested too
 * deep, a getter that throws) is replaced by a note saying why.
 */
function copyableMessage(msg: NodeMessageInFlow, clone: (value: unknown) => unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  let keys: string[];
  try {
    keys = Object.keys(msg);
  } catch {
    return { _msgid: '' };
  }
  for (const key of keys) {
    try {
      const value = (msg as Record<string, unknown>)[key];
      clone({ value });
      copy[key] = value;
    } catch (error) {
      copy[key] = `[not copied: ${error instanceof Error ? error.message : String(error)}]`;
    }
  }
  return copy;
}
