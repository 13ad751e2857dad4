// The HTTP listener: keep-alive friendly, and a close() that does not wait for clients.

import * as http from 'node:http';
import type { Socket } from 'node:net';

function noop(): void {
  /* ignore */
}

export class Listener {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | undefined;
  closed = false;

  constructor(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
    this.server = http.createServer({ noDelay: true }, (req, res) => {
      res.on('error', noop);
      req.on('error', noop);
      handler(req, res);
    });
    this.server.keepAliveTimeout = 30_000;
    this.server.headersTimeout = 31_000;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', noop);
      if (this.closed) socket.destroy();
    });
    this.server.on('clientError', (_err, socket) => {
      socket.destroy();
    });
  }

  /** Listens; resolves with the port. */
  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.server.on('error', noop);
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  /** Stops listening AND destroys every open socket. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }
}
