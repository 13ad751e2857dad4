/**
 * Tiny node types for the benchmark flows, loaded by the embedded Node-RED from a
 * nodesDir:
 * - `bench-source` (no input, one output): the benchmark can send from it, as an
 *   upstream node would;
 * - `bench-sink` (one input): reports each message to the benchmark and calls done();
 * - `bench-http` (one input, two outputs): the least a completion node can do, as a
 *   floor for what Node-RED itself costs: a keep-alive node:http POST of the payload
 *   as JSON, the parsed answer on output 1 (a new message) and the input on output 2.
 *   No validation, limits, timeouts, retries, scrubbing or status.
 */
import http from 'node:http';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { probeHub, type SourceNode } from '../probe-hub';

interface BenchHttpDef extends NodeDef {
  url: string;
  apiKey: string;
}

export = function register(RED: NodeAPI): void {
  function BenchSource(this: Node, config: NodeDef) {
    RED.nodes.createNode(this, config);
    const hub = probeHub();
    hub.sources.set(this.id, this as unknown as SourceNode);
    this.on('close', () => {
      if (hub.sources.get(this.id) === (this as unknown as SourceNode)) hub.sources.delete(this.id);
    });
  }
  function BenchSink(this: Node, config: NodeDef) {
    RED.nodes.createNode(this, config);
    const hub = probeHub();
    const id = this.id;
    this.on('input', (msg: NodeMessageInFlow, _send: unknown, done: () => void) => {
      hub.onSink(id, msg as unknown as Record<string, any>);
      done();
    });
  }
  function BenchHttp(this: Node, config: BenchHttpDef) {
    RED.nodes.createNode(this, config);
    const agent = new http.Agent({ keepAlive: true });
    const url = new URL(config.url);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${config.apiKey}` };
    this.on('input', (msg: NodeMessageInFlow, send: (m: any) => void, done: (e?: Error) => void) => {
      const body = JSON.stringify(msg.payload);
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(Buffer.concat(parts).toString('utf8'));
            } catch (error) {
              done(error as Error);
              return;
            }
            send([{ _msgid: msg._msgid, topic: msg.topic, statusCode: res.statusCode, payload: { body: parsed, status: res.statusCode } }, msg]);
            done();
          });
          res.on('error', (error) => done(error));
        },
      );
      req.on('error', (error) => done(error));
      req.end(body);
    });
    this.on('close', () => agent.destroy());
  }
  RED.nodes.registerType('bench-source', BenchSource);
  RED.nodes.registerType('bench-sink', BenchSink);
  RED.nodes.registerType('bench-http', BenchHttp);
};
