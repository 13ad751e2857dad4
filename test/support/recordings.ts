/**
 * Answers recorded from real servers (test/fixtures/<server>/NN-name.txt, copied from
 * the project's shared recordings): the request as sent and the server's whole answer,
 * status line, headers and body, streams byte for byte. A replay server hands them
 * back over real HTTP, so the nodes read exactly what the real server sent.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { FIXTURES } from './paths';

export interface Recording {
  name: string;
  method: string;
  path: string;
  /** The request body as sent, parsed; undefined for a GET or a body that is not JSON. */
  request: unknown;
  requestText: string;
  status: number;
  headers: Array<[string, string]>;
  body: string;
}


export function loadRecordings(server: string): Recording[] {
  return loadRecordingsFrom(path.join(FIXTURES, server));
}

/** The recordings of a folder (NN-name.txt), in their order. */
export function loadRecordingsFrom(dir: string): Recording[] {
  return fs.readdirSync(dir).filter((f) => /^\d+-.*\.txt$/.test(f)).sort().map((file) => parseRecording(file.replace(/\.txt$/, ''), fs.readFileSync(path.join(dir, file), 'utf8')));
}

export function parseRecording(name: string, text: string): Recording {
  const match = /^### (\w+) (\S+)\n([\s\S]*?)### response\n([\s\S]*)$/.exec(text);
  if (!match) throw new Error(`${name}: not a recording`);
  const [, method, target, requestText, response] = match;
  const headEnd = response.indexOf('\r\n\r\n');
  const head = response.slice(0, headEnd).split('\r\n');
  const statusLine = /^HTTP\/1\.1 (\d{3})/.exec(head[0]);
  if (!statusLine) throw new Error(`${name}: no status line`);
  const headers = head.slice(1).map((line): [string, string] => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  let request: unknown;
  try {
    request = requestText.trim() ? JSON.parse(requestText) : undefined;
  } catch {
    request = undefined;
  }
  return { name, method, path: target, request, requestText: requestText.replace(/\n$/, ''), status: Number(statusLine[1]), headers, body: response.slice(headEnd + 4) };
}

export function recording(recordings: Recording[], prefix: string): Recording {
  const found = recordings.find((r) => r.name.startsWith(prefix));
  if (!found) throw new Error(`no recording ${prefix}`);
  return found;
}

export function header(r: Recording, name: string): string | undefined {
  return r.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

/** The events of a recorded stream, as the server wrote them (each ends with a blank line). */
export function recordedEvents(r: Recording): string[] {
  return r.body.split(/(?<=\n\n)/).filter((e) => e.trim() !== '');
}

export interface ReplayServer {
  url: string;
  /** Requests that matched no recording, to show in a failing assertion. */
  unmatched: string[];
  /** Changes how the next matching answer is sent. */
  cutNextStream(afterEvents: number): void;
  close(): Promise<void>;
}

/** A recorded request as the node sends it: a parameter given as null is left out (null means "not set"). */
function withoutNulls(request: unknown): unknown {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) return request;
  return Object.fromEntries(Object.entries(request).filter(([, value]) => value !== null));
}

/**
 * Answers each request with the recording of the same method, path and JSON body; a
 * stream goes out one event per write, as the server sent it.
 */
export async function startReplayServer(recordings: Recording[]): Promise<ReplayServer> {
  const unmatched: string[] = [];
  let cut: number | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const target = (req.url ?? '').replace(/\?.*$/, '');
      const found = recordings.find((r) => r.method === req.method && r.path === target && (body === undefined ? r.requestText.trim() === text.trim() : isDeepStrictEqual(withoutNulls(r.request), body)));
      if (!found) {
        unmatched.push(`${req.method} ${target} ${text}`);
        res.writeHead(599, { 'content-type': 'text/plain' });
        res.end('no recording for this request');
        return;
      }
      for (const [name, value] of found.headers) {
        if (!/^(content-length|transfer-encoding|keep-alive|connection)$/i.test(name)) res.setHeader(name, value);
      }
      res.writeHead(found.status);
      if (!/event-stream/.test(header(found, 'content-type') ?? '')) {
        res.end(found.body);
        return;
      }
      const events = recordedEvents(found);
      const limit = cut ?? events.length;
      cut = undefined;
      for (const event of events.slice(0, limit)) {
        res.write(event);
        await new Promise((r) => setImmediate(r));
      }
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1`,
    unmatched,
    cutNextStream: (afterEvents) => {
      cut = afterEvents;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
