/**
 * How deep a server's JSON may nest. Completion answers nest a handful of levels
 * (logprobs are the deepest, at five or so); Node-RED copies a message for its second
 * wire, a Catch node or a debug view recursively, and that copy overflows the stack
 * somewhere past two thousand levels, after the node has already sent to the first
 * wire. An answer past this depth is refused whole, before anything is sent.
 */
export const MAX_JSON_DEPTH = 256;

const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Whether a JSON text nests deeper than `limit`: one pass over its characters, strings skipped. */
export function nestsDeeperThan(text: string, limit = MAX_JSON_DEPTH): boolean {
  // Each level takes an opening and a closing bracket (JSON that parses is balanced): a
  // shorter text cannot nest that deep, and most answers are shorter.
  if (text.length <= 2 * limit + 1) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}
