// OpenAI's error bodies: {"error": {message, type, param, code}}. Also the shape every
// dialect starts from (StandardError) before it shapes an error its own way.

import * as http from 'node:http';
import type { Reply, StandardError } from './types';

export type ApiError = StandardError;

export const SERVER_ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';
export const PARSE_ERROR_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";

export function apiError(status: number, message: string, param: string | null = null, code: string | null = null, type = 'invalid_request_error'): ApiError {
  return { status, message, type, param, code };
}

export function errorBody(e: ApiError): { error: { message: string; type: string; param: string | null; code: string | null } } {
  return { error: { message: e.message, type: e.type, param: e.param, code: e.code } };
}

export function openaiShape(e: ApiError): Reply {
  return { status: e.status, body: errorBody(e) };
}

/** The OpenAI-shaped error body for a status (used when a scripted status has no body). */
export function errorForStatus(status: number): { error: { message: string; type: string; param: null; code: string | null } } {
  let message: string;
  let type = status >= 500 ? 'server_error' : 'invalid_request_error';
  let code: string | null = null;
  switch (status) {
    case 400:
      message = 'Bad request.';
      break;
    case 401:
      message = 'Incorrect API key provided.';
      code = 'invalid_api_key';
      break;
    case 403:
      message = 'You are not allowed to perform this request.';
      type = 'permission_error';
      break;
    case 404:
      message = 'The requested resource was not found.';
      break;
    case 408:
      message = 'Request timed out.';
      type = 'timeout';
      break;
    case 409:
      message = 'Conflict: the request could not be completed, please retry.';
      type = 'conflict';
      break;
    case 429:
      message = 'Rate limit reached for requests. Please try again in 20ms.';
      type = 'requests';
      code = 'rate_limit_exceeded';
      break;
    case 500:
      message = SERVER_ERROR_MESSAGE;
      break;
    case 503:
      message = 'The engine is currently overloaded, please try again later.';
      break;
    default:
      message = `${status} ${http.STATUS_CODES[status] ?? 'Error'}`;
  }
  return { error: { message, type, param: null, code } };
}

/** A status's default error as a StandardError, for a dialect to shape. */
export function standardErrorForStatus(status: number): ApiError {
  return { status, ...errorForStatus(status).error };
}

// Quoted from the service in openai/openai-quickstart-node#127 (2024-01) and
// orhanerday/open-ai#135: a shut-down model on /v1/completions.
export const retiredModelError = (model: string): ApiError =>
  apiError(404, `The model \`${model}\` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations`, null, 'model_not_found');

// promptfoo/promptfoo#390, RomanHotsiy/commitgpt#43; 404 in sashabaranov/go-openai#126.
export const chatModelError = (): ApiError =>
  apiError(404, 'This is a chat model and not supported in the v1/completions endpoint. Did you mean to use v1/chat/completions?', 'model', null);

// Type and code from ChatGPTNextWeb/NextChat#3123; the message as in HeyPuter/puter#1977 and
// bradtraversy/chatgpt-chatbot#7 (2024-25).
export const insufficientQuotaError = (): ApiError =>
  apiError(
    429,
    'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
    null,
    'insufficient_quota',
    'insufficient_quota',
  );

// The legacy completions wording, quoted in run-llama/llama_index#948 and
// LlmKira/Openaibot#11 ("...; 256 for the completion. Please reduce your prompt; or
// completion length."). Unconfirmed: param and code; null as in the other 400s of that era.
export const contextLengthError = (contextLength: number, promptTokens: number, maxTokens: number): ApiError =>
  apiError(
    400,
    `This model's maximum context length is ${contextLength} tokens, however you requested ${promptTokens + maxTokens} tokens (${promptTokens} in your prompt; ${maxTokens} for the completion). Please reduce your prompt; or completion length.`,
  );
