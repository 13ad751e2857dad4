/**
 * A string payload is the prompt, as the message contract says. A template node left on
 * its default output (plain text) hands on the JSON of a request as such a string, and
 * the whole JSON is then completed as a prompt, its parameters lost without a word. A
 * string that reads as a request (a JSON object with a `prompt`) is worth a warning.
 */
export function readsAsRequestJson(payload: unknown): boolean {
  if (typeof payload !== 'string' || payload.length > 1_000_000) return false;
  const text = payload.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return false;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) && 'prompt' in value;
  } catch {
    return false;
  }
}
