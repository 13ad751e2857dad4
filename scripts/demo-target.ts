/**
 * What `npm start` talks to, read from the environment: the demo server by default, or
 * a real server named by COMPLETION_BASE_URL (with COMPLETION_SERVER_KIND,
 * COMPLETION_MODEL and COMPLETION_API_KEY). A plain function of the environment, so it
 * can be tested without starting anything.
 */
import { PROFILES, SERVER_KIND_IDS, type ServerKindId } from '../nodes/lib/servers/profiles';
import { DEMO_SERVER_HOST, DEMO_SERVER_PORT } from './flow-nodes';

export type Target =
  | { mode: 'demo'; host: string; port: number; notes: string[] }
  | {
      mode: 'server';
      kind: ServerKindId;
      baseUrl: string;
      /** Blank: ask the server's model list at start. */
      model?: string;
      /** The connection's API key as stored in its credentials: `${NAME}`, so the key itself stays in the environment. */
      apiKey?: string;
      notes: string[];
    };

/** A setting that cannot work: the message says what to do; `npm start` prints it and stops. */
export class StartError extends Error {}

export const OPENAI_RETIRED =
  'OpenAI shut down its completion models gpt-3.5-turbo-instruct, davinci-002 and babbage-002 on 2026-09-28. ' +
  'Its /v1/completions endpoint now serves only completion models fine-tuned on your own account (ft:…), if you have any.';

const KIND_LIST = SERVER_KIND_IDS.join(', ');

function portNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw.trim());
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StartError(`${name}=${raw} is not a port number (0 to 65535).`);
  return port;
}

/** The port Node-RED listens on: PORT, default 1880. */
export function editorPort(env: NodeJS.ProcessEnv): number {
  return portNumber('PORT', env.PORT, 1880);
}

function usualPort(url: string): string {
  const u = new URL(url);
  return u.port || (u.protocol === 'https:' ? '443' : '80');
}

/**
 * The kind a base URL most likely belongs to: a hosted service by its host name, a
 * local server by the usual port of its kind (profiles.ts; llama.cpp first among the
 * kinds that share 8080). Null when nothing fits.
 */
export function guessKind(baseUrl: string): { kind: ServerKindId; why: string } | null {
  const url = new URL(baseUrl);
  for (const id of SERVER_KIND_IDS) {
    const usual = PROFILES[id].defaultBaseUrl;
    if (!usual) continue;
    const known = new URL(usual);
    if (known.hostname !== 'localhost') {
      if (known.hostname === url.hostname) return { kind: id, why: `its host ${url.hostname}` };
    } else if (usualPort(usual) === usualPort(baseUrl)) {
      return { kind: id, why: `port ${usualPort(baseUrl)}, the usual one of ${PROFILES[id].label}` };
    }
  }
  return null;
}

export function resolveTarget(env: NodeJS.ProcessEnv): Target {
  const value = (name: string) => {
    const text = env[name]?.trim();
    return text ? text : undefined;
  };
  const baseUrl = value('COMPLETION_BASE_URL');
  const kindName = value('COMPLETION_SERVER_KIND');
  const model = value('COMPLETION_MODEL');
  const notes: string[] = [];

  if (kindName !== undefined && !(SERVER_KIND_IDS as readonly string[]).includes(kindName)) {
    throw new StartError(`COMPLETION_SERVER_KIND=${kindName} is not a server kind. Use one of: ${KIND_LIST}.`);
  }

  if (baseUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new StartError(`COMPLETION_BASE_URL=${baseUrl} is not a URL. Write it as the server's API root, such as http://localhost:8080/v1 (llama.cpp) or http://localhost:11434/v1 (Ollama).`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new StartError(`COMPLETION_BASE_URL=${baseUrl} must start with http:// or https://.`);
    let kind = kindName as ServerKindId | undefined;
    if (kind === undefined) {
      if (/\.openai\.azure\.com$/i.test(url.hostname)) {
        throw new StartError('COMPLETION_BASE_URL is an Azure OpenAI endpoint: set COMPLETION_SERVER_KIND=azure (deployments) or azure-v1 (the v1 API), and COMPLETION_MODEL to the deployment name.');
      }
      const guess = guessKind(baseUrl);
      kind = guess?.kind ?? 'other';
      notes.push(guess
        ? `server kind: ${kind}, guessed from ${guess.why}. Set COMPLETION_SERVER_KIND to choose another (${KIND_LIST}).`
        : `server kind: other (requests sent as they are). Set COMPLETION_SERVER_KIND to the server's kind if it has one (${KIND_LIST}).`);
    }
    if ((kind === 'azure' || kind === 'azure-v1') && model === undefined) {
      throw new StartError(`${PROFILES[kind].label} needs COMPLETION_MODEL: the name of your deployment (Azure's model list names models, not deployments).`);
    }
    if (kind === 'openai') notes.push(OPENAI_RETIRED);
    // A key meant for OpenAI never goes to another server.
    const apiKey = value('COMPLETION_API_KEY') ? '${COMPLETION_API_KEY}' : kind === 'openai' && value('OPENAI_API_KEY') ? '${OPENAI_API_KEY}' : undefined;
    if (apiKey === undefined && PROFILES[kind].apiKey === 'required') {
      notes.push(`${PROFILES[kind].label} wants an API key: set COMPLETION_API_KEY, or requests will be refused.`);
    }
    return { mode: 'server', kind, baseUrl, model, apiKey, notes };
  }

  if (value('OPENAI_API_KEY') !== undefined) {
    if (model !== undefined) {
      return {
        mode: 'server', kind: 'openai', baseUrl: PROFILES.openai.defaultBaseUrl!, model,
        apiKey: value('COMPLETION_API_KEY') ? '${COMPLETION_API_KEY}' : '${OPENAI_API_KEY}',
        notes: [`${OPENAI_RETIRED} Using ${model} there, as COMPLETION_MODEL says.`],
      };
    }
    notes.push(
      `OPENAI_API_KEY is set, but the demo does not use it. ${OPENAI_RETIRED} ` +
      'To use such a model, set COMPLETION_MODEL=ft:… as well. To use a server of your own, set COMPLETION_BASE_URL (and COMPLETION_MODEL). ' +
      'Until then the demo talks to the local demo server.',
    );
  }
  const ignored = ['COMPLETION_SERVER_KIND', 'COMPLETION_MODEL', 'COMPLETION_API_KEY'].filter((name) => value(name) !== undefined);
  if (ignored.length > 0 && value('OPENAI_API_KEY') === undefined) {
    notes.push(`${ignored.join(', ')} ${ignored.length > 1 ? 'are' : 'is'} used only with COMPLETION_BASE_URL, which is not set: the demo talks to the local demo server.`);
  }
  return { mode: 'demo', host: DEMO_SERVER_HOST, port: portNumber('DEMO_SERVER_PORT', env.DEMO_SERVER_PORT, DEMO_SERVER_PORT), notes };
}
