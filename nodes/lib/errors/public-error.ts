import { CompletionError } from './errors';
import { scrubText, scrubValue } from './scrub';

/**
 * Any failure as the error a flow may see: the package's one error type, with the
 * secrets taken out of every text it carries (message, stack and each detail; a
 * server may echo a key in an error param or a request id).
 */
export function publicError(error: unknown, secrets: readonly string[]): CompletionError {
  const failure = error instanceof CompletionError
    ? error
    // A foreign error keeps only its message: whatever else it holds (a request
    // with its headers, say) stays behind.
    : new CompletionError('BAD_RESPONSE', error instanceof Error ? error.message : String(error));
  if (secrets.length === 0) return failure;
  failure.message = scrubText(failure.message, secrets);
  if (typeof failure.stack === 'string') failure.stack = scrubText(failure.stack, secrets);
  const cause = failure.cause as Record<string, unknown>;
  for (const key of Object.keys(cause)) cause[key] = scrubValue(cause[key], secrets);
  return failure;
}
