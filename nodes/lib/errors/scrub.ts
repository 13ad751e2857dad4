/**
 * Takes secrets out of what leaves the node (error messages, log lines, status text,
 * bodies a server echoes back), whatever put them there. Detection works on decoded
 * text: a key a server writes with JSON `\u` escapes is the key once parsed, and is
 * found there. A key split across stream events is caught by StreamTextScrubber.
 */

const MASK = '***';
/** Shorter strings would match ordinary text; a key is far longer. */
const MIN_SECRET_LENGTH = 4;

/** The secrets long enough to look for; the list itself when all are (the usual case), so nothing is made per call. */
const usable = (secrets: readonly string[]) => (secrets.every((s) => s.length >= MIN_SECRET_LENGTH) ? secrets : secrets.filter((s) => s.length >= MIN_SECRET_LENGTH));

/** Characters JSON may write as an escape other than \u: a secret holding one can be spelt in a way its plain form is not found in. */
const ESCAPABLE = /["\\\/\u0000-\u001f]/;

export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH && out.includes(secret)) out = out.split(secret).join(MASK);
  }
  // A text may quote JSON it did not decode (a gateway wrapping an upstream's error
  // body): the secret is then spelt with escapes, `\u0073k-…`, even inside a parsed string.
  return mayBeEscaped(out, secrets) ? maskEscaped(out, usable(secrets)) : out;
}

/** Whether a text can spell a secret through JSON escapes: only with `\u`, or with a secret that holds a character JSON escapes otherwise. */
function mayBeEscaped(text: string, secrets: readonly string[]): boolean {
  return text.includes('\\u') || (text.includes('\\') && secrets.some((s) => ESCAPABLE.test(s)));
}

/** How many layers of JSON quoting are looked through (a body quoted in a body quoted in a body). */
const ESCAPE_LAYERS = 3;

/** `text` with every stretch that spells a secret through JSON escapes masked. */
function maskEscaped(text: string, secrets: readonly string[]): string {
  const ranges = escapedSecretRanges(text, secrets, ESCAPE_LAYERS);
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [start, end] of ranges) {
    if (end <= at) continue;
    out += text.slice(at, Math.max(at, start)) + (start >= at ? MASK : '');
    at = end;
  }
  return out + text.slice(at);
}

/** Where in `text` a secret shows once its JSON escapes are decoded, layer by layer: [start, end) pairs. */
function escapedSecretRanges(text: string, secrets: readonly string[], layers: number): [number, number][] {
  if (layers === 0 || !text.includes('\\')) return [];
  // Decoding with positions is worth it only where a character of a secret is spelt as
  // an escape at all: most texts with escapes (accents, code) hold none.
  if (!secrets.some((secret) => escapeOfSecret(secret).test(text))) return [];
  const starts: number[] = [];
  const ends: number[] = [];
  const decoded = decode(text, { starts, ends });
  if (decoded === text) return [];
  const ranges: [number, number][] = [];
  for (const secret of secrets) {
    for (let at = decoded.indexOf(secret); at !== -1; at = decoded.indexOf(secret, at + secret.length)) {
      ranges.push([starts[at], ends[at + secret.length - 1]]);
    }
  }
  for (const [a, b] of escapedSecretRanges(decoded, secrets, layers - 1)) ranges.push([starts[a], ends[b - 1]]);
  return ranges;
}

const ESCAPE_PATTERNS = new Map<string, RegExp>();

/** A pattern that finds an escape of any character of `secret` (`\\u0073`, `\\u006B`, `\\"`), made once per secret. */
function escapeOfSecret(secret: string): RegExp {
  let pattern = ESCAPE_PATTERNS.get(secret);
  if (!pattern) {
    const codes = [...new Set([...secret].map((c) => c.charCodeAt(0).toString(16).padStart(4, '0')))];
    const simple = [...new Set([...secret].filter((c) => ESCAPABLE.test(c)))].map((c) => c.replace(/[\\^$.*+?()[\]{}|\/-]/g, '\\$&'));
    const alternatives = [`\\\\u(?:${codes.join('|')})`, ...(simple.length > 0 ? [`\\\\[${simple.join('')}bfnrt]`] : [])];
    pattern = new RegExp(alternatives.join('|'), 'i');
    // Keys change with deploys: old ones are not kept for long.
    if (ESCAPE_PATTERNS.size >= 64) ESCAPE_PATTERNS.clear();
    ESCAPE_PATTERNS.set(secret, pattern);
  }
  return pattern;
}

const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * How many characters of `text` the character at `i` takes: 6 for `\u0073`, 2 for `\n`,
 * 1 for one written as itself (a backslash that starts no escape included), 0 for an
 * escape cut off at the end of the text, which the text's next piece may complete.
 */
function escapeWidth(text: string, i: number): number {
  if (text[i] !== '\\') return 1;
  const next = text[i + 1];
  if (next === undefined) return 0;
  if (next === 'u') {
    const hex = text.slice(i + 2, i + 6);
    if (/^[0-9a-fA-F]{4}$/.test(hex)) return 6;
    if (hex.length < 4 && /^[0-9a-fA-F]*$/.test(hex)) return 0;
    return 1;
  }
  return SIMPLE_ESCAPES[next] !== undefined ? 2 : 1;
}

/** The character the `width` characters of `text` at `i` stand for (escapeWidth). */
function charOf(text: string, i: number, width: number): string {
  if (width === 6) return String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
  return width === 2 ? SIMPLE_ESCAPES[text[i + 1]] : text[i];
}

/** JSON string escapes decoded; with `positions`, where each decoded character came from in `text`. */
function decode(text: string, positions?: { starts: number[]; ends: number[] }): string {
  let decoded = '';
  for (let i = 0; i < text.length; ) {
    const width = escapeWidth(text, i) || 1;
    decoded += charOf(text, i, width);
    positions?.starts.push(i);
    positions?.ends.push(i + width);
    i += width;
  }
  return decoded;
}

/**
 * Whether the value parsed from this JSON text can hold a secret. Without a `\u` escape
 * in the text, every character of a parsed string is either written as itself or is one
 * of `" \ / \b \f \n \r \t`; a secret that holds none of those can then show in a parsed
 * string (or key) only where the text holds it as it is. So when the text does not, the
 * parsed value needs no scrubbing. Exact, not a guess: any doubt answers true.
 */
export function jsonMayHoldSecret(text: string, secrets: readonly string[]): boolean {
  const list = usable(secrets);
  if (list.length === 0) return false;
  if (text.includes('\\u')) return true;
  for (const secret of list) if (ESCAPABLE.test(secret) || text.includes(secret)) return true;
  return false;
}

/**
 * The value with every string (and object key) that holds a secret scrubbed, changed in
 * place: it is meant for values the node has just made (a parsed body, response headers,
 * error details). Iterative, so a body nested a hundred thousand levels deep is scrubbed
 * too rather than overflowing the stack.
 */
export function scrubValue<T>(value: T, secrets: readonly string[]): T {
  const list = usable(secrets);
  if (list.length === 0) return value;
  if (typeof value === 'string') return scrubText(value, list) as T;
  if (value === null || typeof value !== 'object') return value;
  // Most values are flat (response headers, a small body): the list of containers still
  // to scrub and the set of those done are made only once a nested one turns up.
  let pending: object[] | undefined;
  let seen: Set<object> | undefined;
  const later = (item: object) => {
    seen ??= new Set<object>([value]);
    if (seen.has(item)) return;
    seen.add(item);
    (pending ??= []).push(item);
  };
  for (let container: object | undefined = value; container !== undefined; container = pending?.pop()) {
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        const item: unknown = container[i];
        if (typeof item === 'string') {
          if (mayHold(item, list)) container[i] = scrubText(item, list);
        } else if (item !== null && typeof item === 'object') {
          later(item);
        }
      }
      continue;
    }
    const record = container as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const item = record[key];
      let target = key;
      if (mayHold(key, list)) {
        target = scrubText(key, list);
        delete record[key];
        record[target] = item;
      }
      if (typeof item === 'string') {
        if (mayHold(item, list)) record[target] = scrubText(item, list);
      } else if (item !== null && typeof item === 'object') {
        later(item);
      }
    }
  }
  return value;
}

function mayHold(text: string, secrets: readonly string[]): boolean {
  for (const secret of secrets) if (text.includes(secret)) return true;
  return mayBeEscaped(text, secrets);
}

/**
 * Scrubs the text of a stream's choices as the events arrive. A secret may be split
 * across two events ("sk-ab" then "c123…"), which no single event shows: so the end of
 * each choice's text that could still be the start of a secret is held back until the
 * next event says whether it is, and handed out by `flush` when the stream ends. What
 * comes out is exactly the scrubbed whole text, cut into the events' pieces.
 */
export class StreamTextScrubber {
  private readonly secrets: readonly string[];
  private readonly held = new Map<number, string>();

  constructor(secrets: readonly string[]) {
    this.secrets = usable(secrets);
  }

  get active(): boolean {
    return this.secrets.length > 0;
  }

  /** The part of `text` (the next piece of choice `index`) that can go out now. */
  push(index: number, text: string): string {
    if (this.secrets.length === 0) return text;
    const joined = scrubText((this.held.get(index) ?? '') + text, this.secrets);
    const keep = this.heldLength(joined);
    if (keep === 0) this.held.delete(index);
    else this.held.set(index, joined.slice(joined.length - keep));
    return keep === 0 ? joined : joined.slice(0, joined.length - keep);
  }

  /** What is still held back, per choice index, once the stream has ended. */
  flush(): Map<number, string> {
    const rest = new Map(this.held);
    this.held.clear();
    return rest;
  }

  /** The length of the longest end of `text` that is the start of a secret, as it is or spelt through escapes. */
  private heldLength(text: string): number {
    let longest = 0;
    for (const secret of this.secrets) {
      for (let n = Math.min(secret.length - 1, text.length); n > longest; n--) {
        if (endsWithStartOf(text, secret, n)) {
          longest = n;
          break;
        }
      }
      if (text.includes('\\')) longest = Math.max(longest, escapedStartLength(text, secret));
    }
    return longest;
  }
}

/**
 * The length of the longest end of `text` that, its JSON escapes decoded, is the start of
 * `secret` (`\u0073\u006b\u002d` for "sk-"), or could become it: an escape cut off at
 * the end (`\u00`) counts, since the next piece may complete it.
 */
function escapedStartLength(text: string, secret: string): number {
  const from = Math.max(0, text.length - secret.length * 6);
  for (let start = from; start < text.length; start++) {
    let i = start;
    let matched = 0;
    let fits = true;
    while (i < text.length && matched < secret.length) {
      const width = escapeWidth(text, i);
      // An escape cut off at the end: the next piece may make it the secret's next character.
      if (width === 0) break;
      if (charOf(text, i, width) !== secret[matched]) {
        fits = false;
        break;
      }
      matched++;
      i += width;
    }
    // The whole secret would have been masked already; a part of it reaching the end is held.
    if (fits && matched < secret.length && (matched > 0 || i < text.length)) return text.length - start;
  }
  return 0;
}

/** Whether `text` ends with the first `n` characters of `secret` (text.endsWith(secret.slice(0, n)), without making the slice). */
function endsWithStartOf(text: string, secret: string, n: number): boolean {
  const start = text.length - n;
  for (let i = 0; i < n; i++) if (text.charCodeAt(start + i) !== secret.charCodeAt(i)) return false;
  return true;
}

/**
 * The start of a body for an error text; scrubbed before it is cut, so no part of a
 * secret survives. A body that spells a secret only through escapes is not quoted at all.
 */
export function scrubbedPreview(raw: string, secrets: readonly string[], length = 80): string {
  const list = usable(secrets);
  const text = scrubText(raw, list);
  if (list.length > 0 && text.includes('\\')) {
    const decoded = decode(text);
    if (list.some((s) => decoded.includes(s))) return '(a body that contains the API key; not shown)';
  }
  return text.length > length ? `${JSON.stringify(text.slice(0, length))}…` : JSON.stringify(text);
}
