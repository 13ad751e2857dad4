import type { Node } from 'node-red';
import type { Connection } from './connection';

/** A deployed `completion-api` config node, as the nodes that use it see it. */
export interface CompletionApiNode extends Node {
  connection?: Connection;
  /** Why the connection could not be set up (a malformed base URL, say). */
  connectionError?: string;
}
