/**
 * Two tiny node types for the benchmark flows, loaded by the embedded Node-RED from
 * a nodesDir: `bench-source` (no input, one output; the benchmark sends from it) and
 * `bench-sink` (one input; reports each message to the benchmark and calls done()).
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { probeHub, type SourceNode } from '../probe-hub';

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
  RED.nodes.registerType('bench-source', BenchSource);
  RED.nodes.registerType('bench-sink', BenchSink);
};
