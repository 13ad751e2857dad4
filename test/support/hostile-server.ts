/**
 * A loopback HTTP server that answers however a test tells it to, byte for byte when
 * needed: the hostile and broken servers the node must survive. It counts the sockets
 * still open, so a test can see whether the node let go of a connection.
 */
import http from 'node:http';
import type { Socket } from 'node:net';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

export interface HostileServer {
  url: string;
  /** Requests received so far. */
  requests: number;
  /** Sockets the server still holds open. */
  openSockets(): number;
  close(): Promise<void>;
}

export async function startHostileServer(handler: Handler): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      handler(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return requests;
    },
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A completion event as OpenAI-compatible servers send it. */
export function completionEvent(text: string, index = 0, finish: string | null = null, extra: Record<string, unknown> = {}): string {
  return `data: ${JSON.stringify({ id: 'cmpl-h', object: 'text_completion', created: 1, model: 'm', choices: [{ text, index, logprobs: null, finish_reason: finish }], ...extra })}\n\n`;
}
