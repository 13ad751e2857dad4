/**
 * OpenAI's own token counting for the models OpenAI and Azure still serve on this
 * endpoint: gpt-3.5-turbo-instruct, davinci-002 and babbage-002 (and fine-tunes of
 * them) all use cl100k_base (gpt-tokenizer's model table: model/gpt-3.5-turbo-instruct,
 * model/davinci-002, model/babbage-002). Loaded on first use: it takes a fifth of a
 * second and 20 MB, which a connection to a local server never needs.
 */
type Encode = (text: string, options?: { disallowedSpecial?: Set<string> }) => number[];

let encode: Encode | undefined;

/** Text encoded at a time before the event loop gets a turn: about 5 ms of work. */
const SLICE_CHARS = 32 * 1024;
/**
 * Byte-pair encoding takes time with the square of a word's length: a "word" this long
 * (a megabyte without a space, say) is encoded in parts. Real text never has one.
 */
const LONGEST_WORD = 512;

function encodeSlice(text: string): number[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  encode ??= (require('gpt-tokenizer/cjs/encoding/cl100k_base') as { encode: Encode }).encode;
  // Special-token spellings such as "<|endoftext|>" count as plain text, as the API treats a prompt.
  return encode(text, { disallowedSpecial: new Set() });
}

/**
 * The text cut where the encoding would cut it anyway: before a run of whitespace (which
 * cl100k_base's pre-tokenizer never joins to the word before it), so the parts encode to
 * exactly the tokens of the whole. Runs without whitespace longer than LONGEST_WORD are
 * cut too; only they can come out a token or two off.
 */
function* slices(text: string): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + SLICE_CHARS);
    if (end < text.length) {
      let cut = end;
      while (cut > start && !(isSpace(text.charCodeAt(cut)) && !isSpace(text.charCodeAt(cut - 1)))) cut--;
      end = cut > start ? cut : end;
    }
    yield* words(text.slice(start, end));
    start = end;
  }
}

/** A slice with its overlong runs without whitespace cut into LONGEST_WORD pieces. */
function* words(slice: string): Generator<string> {
  let run = 0;
  let from = 0;
  for (let i = 0; i < slice.length; i++) {
    run = isSpace(slice.charCodeAt(i)) ? 0 : run + 1;
    if (run > LONGEST_WORD) {
      yield slice.slice(from, i);
      from = i;
      run = 1;
    }
  }
  yield slice.slice(from);
}

function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x2028 || code === 0x2029 || code === 0x3000;
}

/** A prompt's token ids, without holding the event loop for a long prompt. */
export async function openaiTokenIds(text: string): Promise<number[]> {
  if (text.length <= SLICE_CHARS) return encodeSlice(text);
  const ids: number[] = [];
  let done = 0;
  for (const part of slices(text)) {
    for (const id of encodeSlice(part)) ids.push(id);
    done += part.length;
    if (done >= SLICE_CHARS) {
      done = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return ids;
}
