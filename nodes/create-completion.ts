import type { NodeAPI, Node, NodeDef, NodeMessageInFlow, NodeMessage } from 'node-red';
import type { CompletionApiNode } from './lib/connection/completion-api-node';
import { CompletionError } from './lib/errors/errors';
import { publicError } from './lib/errors/public-error';
import { endMessage, messageSource } from './lib/flow/message-copies';
import { MessagesInFlight } from './lib/flow/messages-in-flight';
import { NodeStatus } from './lib/flow/status';
import { dialogValues, fixedDialogValues } from './lib/flow/typed-fields';
import { buildRequest } from './lib/request/build-request';
import { dialogDefaults, type DialogFields } from './lib/request/dialog-defaults';
import { describeProblems } from './lib/request/validate';
import { readsAsRequestJson } from './lib/request/json-text-payload';
import { expectedChoices } from './lib/request/prompts';
import { resultMessages, RESULT_FORMATS, type Message, type ResultFormat } from './lib/results/result-messages';
import { StreamMessages } from './lib/results/stream-messages';
import { annotate } from './lib/results/annotate';
import { REQUEST_FACTS, REQUEST_FACTS_SETTING } from './lib/editor-facts';

interface CreateCompletionDef extends NodeDef, DialogFields {
  api: string;
  prompt?: string;
  promptType?: string;
  resultFormat?: string;
}

type Send = (msg: NodeMessage | Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;

/** Status updates while streaming: one every this many events. */
const STREAM_STATUS_EVERY = 16;

export = function register(RED: NodeAPI): void {
  const clone = (msg: NodeMessage) => RED.util.cloneMessage(msg);
  const newId = () => RED.util.generateId();

  function CreateCompletion(this: Node, config: CreateCompletionDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const defaults = dialogDefaults(config);
    const fixedValues = fixedDialogValues(config);
    const format = (RESULT_FORMATS as readonly string[]).includes(config.resultFormat ?? '') ? (config.resultFormat as ResultFormat) : 'raw';
    const status = new NodeStatus(node, (key, values) => RED._(key, values));
    const messages = new MessagesInFlight();
    let closed = false;
    let warnedJsonText = false;

    const connectionNode = () => RED.nodes.getNode(config.api) as CompletionApiNode | null;

    async function handle(msg: NodeMessageInFlow, send: Send): Promise<void> {
      const api = connectionNode();
      if (!api) throw new CompletionError('NO_CONNECTION', RED._('create-completion.errors.noConnection'));
      if (!api.connection) throw new CompletionError('NO_CONNECTION', RED._('create-completion.errors.badConnection', { reason: api.connectionError ?? '' }));
      const connection = api.connection;
      // A control message: the connection's budget starts afresh; the message goes on, nothing is sent.
      if (msg.resetBudget === true) {
        connection.budget.reset();
        status.budgetReset(connection.budget.left());
        if (!closed) send([null, msg]);
        return;
      }

      if (!warnedJsonText && readsAsRequestJson(msg.payload)) {
        warnedJsonText = true;
        node.warn(RED._('create-completion.errors.payloadIsJsonText'));
      }
      const values = fixedValues ?? (await dialogValues(RED, node, config, msg));
      // The flow may have stopped while a context store answered: nothing goes out after close.
      if (closed) throw new CompletionError('ABORTED', 'request cancelled: the flow was stopped');
      const built = buildRequest(defaults, values, msg.payload, connection.settings.kind);
      if (!built.ok) {
        status.invalid(built.problems.map((p) => p.field));
        throw new CompletionError('INVALID_REQUEST', `invalid request: ${describeProblems(built.problems)}`, { fields: built.problems });
      }
      const source = messageSource(msg, clone, newId);
      const emit = (message: Message) => {
        if (!closed) send([message as NodeMessage, null]);
      };
      const choices = expectedChoices(built.request);
      // Made at the first event: most answers are not streamed.
      let streamed: StreamMessages | undefined;
      const cancellation = messages.start();
      let leaveQueue: (() => void) | undefined;
      try {
        const response = await connection.complete(built.request, built.body, {
          signal: cancellation.signal,
          onQueued: () => (leaveQueue = status.queued()),
          onStart: () => {
            leaveQueue?.();
            status.requesting();
          },
          onRetry: (retry, reason) => status.retrying(retry, reason),
          onEvent: (chunk, index, code) => {
            for (const message of (streamed ??= new StreamMessages(format, source, choices)).chunk(chunk, code)) emit(message);
            if (index % STREAM_STATUS_EVERY === 0) status.streaming(index + 1);
          },
        });
        const results = annotate(streamed && response.events > 0 ? streamed.final(response) : resultMessages(format, response, source, choices), response.accounting, format);
        // The status first: the last result takes the accounting's own objects, which its
        // receivers may change (at once, where Node-RED delivers synchronously).
        status.answered(response, connection.budget.active ? connection.budget.left() : undefined);
        for (const message of results) emit(message);
        if (!closed) send([null, msg]);
      } catch (error) {
        // A join behind a stream that broke off would hold its partial group forever.
        if (streamed) for (const message of streamed.resets()) emit(message);
        throw error;
      } finally {
        leaveQueue?.();
        messages.end(cancellation);
      }
    }

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      const finish = (error?: Error) => endMessage(done, error, msg, node, clone);
      const settled = handle(msg, send).then(
        () => finish(),
        (error: unknown) => {
          const failure = publicError(error, connectionNode()?.connection?.secrets ?? []);
          if (failure.code !== 'INVALID_REQUEST') status.failed(failure.message);
          finish(failure);
        },
      );
      messages.track(settled);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      status.close();
      // Each request ends as ABORTED. On a full deploy the Catch nodes stop too, so the log
      // is where a user learns of them.
      if (messages.size > 0) node.warn(RED._('create-completion.errors.abortedOnClose', { count: messages.size }));
      messages.abortAll((signals) => connectionNode()?.connection?.withdraw(signals)).then(() => done());
    });
  }

  RED.nodes.registerType('create-completion', CreateCompletion, {
    settings: { [REQUEST_FACTS_SETTING]: { value: REQUEST_FACTS, exportable: true } },
  } as Parameters<NodeAPI['nodes']['registerType']>[2]);
};
