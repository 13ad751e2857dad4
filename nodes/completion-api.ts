import type { AgentOptions } from 'node:https';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { Connection } from './lib/connection/connection';
import { connectionSecrets, type ConnectionConfig, type ConnectionCredentials } from './lib/connection/settings';
import type { CompletionApiNode } from './lib/connection/completion-api-node';
import { scrubText, scrubValue } from './lib/errors/scrub';
import { checkServer } from './lib/connection/check-server';
import { CONNECTION_FACTS, CONNECTION_FACTS_SETTING } from './lib/editor-facts';

type CompletionApiDef = NodeDef & ConnectionConfig & { tls?: string; proxy?: string };

const ADMIN_TIMEOUT_MS = 15_000;

export = function register(RED: NodeAPI): void {
  /**
   * A Node-RED `http proxy` configuration as proxy variables, which then stand in for the
   * process environment's: its URL for both schemes, its no-proxy list, its credentials.
   */
  function proxyEnvironment(id: string | undefined): NodeJS.ProcessEnv | undefined {
    if (!id) return undefined;
    const proxy = RED.nodes.getNode(id) as (Node & { url?: string; noproxy?: string[]; credentials?: { username?: string; password?: string } }) | null;
    if (!proxy?.url) throw new Error('its proxy configuration is missing');
    const url = new URL(proxy.url.includes('://') ? proxy.url : `http://${proxy.url}`);
    if (proxy.credentials?.username) {
      url.username = encodeURIComponent(proxy.credentials.username);
      url.password = encodeURIComponent(proxy.credentials.password ?? '');
    }
    return { http_proxy: url.href, https_proxy: url.href, no_proxy: (proxy.noproxy ?? []).join(',') };
  }

  function CompletionApi(this: CompletionApiNode, config: CompletionApiDef) {
    RED.nodes.createNode(this, config);
    try {
      const tls: AgentOptions = {};
      if (config.tls) {
        const tlsNode = RED.nodes.getNode(config.tls) as (Node & { addTLSOptions?(options: AgentOptions): void }) | null;
        if (!tlsNode?.addTLSOptions) throw new Error('its TLS configuration is missing');
        tlsNode.addTLSOptions(tls);
      }
      this.connection = Connection.fromConfig(config, this.credentials as ConnectionCredentials, tls, proxyEnvironment(config.proxy));
    } catch (error) {
      this.connectionError = scrubText((error as Error).message, connectionSecrets(config, this.credentials as ConnectionCredentials));
    }
    this.on('close', (_removed: boolean, done: () => void) => {
      this.connection?.close();
      done();
    });
  }

  RED.nodes.registerType('completion-api', CompletionApi as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    settings: { [CONNECTION_FACTS_SETTING]: { value: CONNECTION_FACTS, exportable: true } },
    credentials: {
      apiKey: { type: 'password' },
      organization: { type: 'text' },
      project: { type: 'text' },
      username: { type: 'text' },
      password: { type: 'password' },
    },
  });

  /** The deployed connection an admin request names, or an answer saying why there is none. */
  const deployed = (req: { params: { id?: unknown } }, res: { status(code: number): { json(body: unknown): void } }): Connection | undefined => {
    const node = RED.nodes.getNode(String(req.params.id)) as CompletionApiNode | null;
    if (!node || node.type !== 'completion-api') {
      res.status(404).json({ error: 'deploy the connection first' });
      return undefined;
    }
    if (!node.connection) res.status(400).json({ error: node.connectionError ?? 'the connection is not configured' });
    return node.connection;
  };

  // The editor's model list: asks the deployed connection's server, with its key,
  // so the key itself never reaches the browser.
  RED.httpAdmin.get('/completion-api/:id/models', RED.auth.needsPermission('completion-api.read'), (req, res) => {
    const connection = deployed(req, res);
    if (!connection) return;
    connection
      .listModels(AbortSignal.timeout(ADMIN_TIMEOUT_MS))
      .then((models) => res.json({ models }))
      .catch((error: Error) => res.status(502).json({ error: scrubText(error.message, connection.secrets) }));
  });

  // The dialog's logit bias by text: the text's token ids, as the connection's server
  // counts them. Reading permission: it spends no tokens.
  RED.httpAdmin.post('/completion-api/:id/tokenize', RED.auth.needsPermission('completion-api.read'), (req, res) => {
    const connection = deployed(req, res);
    if (!connection) return;
    const { text, model } = (req.body ?? {}) as { text?: unknown; model?: unknown };
    if (typeof text !== 'string' || text === '') {
      res.status(400).json({ error: 'text must be a non-empty string' });
      return;
    }
    if (!connection.tokens.available) {
      res.status(501).json({ error: `${connection.settings.kind.label} has no endpoint that counts tokens` });
      return;
    }
    connection.tokens
      .tokenIds(text, typeof model === 'string' ? model : '', AbortSignal.timeout(ADMIN_TIMEOUT_MS))
      .then((tokens) => res.json({ tokens }))
      .catch((error: Error) => res.status(502).json({ error: scrubText(error.message, connection.secrets) }));
  });

  // The dialog's Check button: a handful of one-token requests to the deployed
  // connection's server. Writing permission: it spends tokens.
  RED.httpAdmin.post('/completion-api/:id/check', RED.auth.needsPermission('completion-api.write'), (req, res) => {
    const connection = deployed(req, res);
    if (!connection) return;
    const { model } = (req.body ?? {}) as { model?: unknown };
    checkServer(connection, typeof model === 'string' && model.trim() !== '' ? model.trim() : undefined)
      .then((report) => res.json(scrubValue(report, connection.secrets)))
      .catch((error: Error) => res.status(502).json({ error: scrubText(error.message, connection.secrets) }));
  });
};
