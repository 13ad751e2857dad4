import { CompletionError } from './errors';

/**
 * Any failure as the package's one error type. A foreign error keeps only its
 * message: whatever else it holds (an axios config with headers, say) stays behind.
 */
export function toCompletionError(error: unknown): CompletionError {
  if (error instanceof CompletionError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CompletionError('BAD_RESPONSE', message);
}
