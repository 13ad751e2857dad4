// The demo server's tokenizer. Not a real one: a piece is a run of non-space characters with
// the whitespace before it (or trailing whitespace alone), the way SentencePiece glues the
// space to the word that follows. One tokenizer for everything that counts tokens (usage,
// context limits, the tokenize endpoints), so a server's tokenize endpoint reports exactly
// the count its usage.prompt_tokens does for the same text.

import { fnv1a } from './hash';

/** The vocabulary the generator draws from. Includes ".", "\n" and multi-byte UTF-8 words
 * so that streams exercise UTF-8 splitting. */
export const VOCABULARY: readonly string[] = [
  ' the', ' a', ' node', ' flow', ' red', ' message', ' payload', ' wire', ' inject', ' debug',
  ' function', ' switch', ' change', ' template', ' stream', ' token', ' model', ' prompt', ' text', ' reply',
  ' is', ' are', ' was', ' will', ' can', ' sends', ' reads', ' writes', ' joins', ' splits',
  ' quickly', ' slowly', ' today', ' again', ' always', ' never', ' and', ' or', ' but', ' with',
  ' café', ' 日本', ' naïve', ' Grüße', ' €',
  ',', '.', '.', '\n', ' demo',
];

/** Beginning of sequence, as llama's SentencePiece vocabularies number it. */
export const BOS = { id: 1, piece: '<s>' } as const;
/** Ids stay below this, the vocabulary size the servers report. */
export const VOCAB_SIZE = 32000;

const VOCAB_BASE = 1000;
const HASHED_BASE = 2000;
// Ids of pieces outside the vocabulary are hashes; detokenizing needs the way back, kept for
// the pieces seen lately. Bounded so that a long-running server does not grow with its input.
const MAX_REMEMBERED = 65536;
const remembered = new Map<number, string>();

/** The pieces of a text; their concatenation is the text. */
export function splitPieces(text: string): string[] {
  return text.match(/\s*\S+|\s+/g) ?? [];
}

/** How many pieces a text has (without special tokens). */
export function countPieces(text: string): number {
  let count = 0;
  let inWord = false;
  let pendingSpace = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
    if (space) {
      inWord = false;
      pendingSpace = true;
    } else {
      if (!inWord) count++;
      inWord = true;
      pendingSpace = false;
    }
  }
  return pendingSpace ? count + 1 : count;
}

/** A stable id for a piece: its vocabulary slot, else a hash below VOCAB_SIZE. */
export function tokenId(piece: string): number {
  const i = VOCABULARY.indexOf(piece);
  if (i >= 0) return VOCAB_BASE + i;
  const id = HASHED_BASE + (fnv1a(piece) % (VOCAB_SIZE - HASHED_BASE));
  if (!remembered.has(id)) {
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.set(id, piece);
  }
  return id;
}

/** The piece of an id, when this process has seen it (always for vocabulary and BOS). */
export function pieceOf(id: number): string | undefined {
  if (id === BOS.id) return BOS.piece;
  if (id >= VOCAB_BASE && id < VOCAB_BASE + VOCABULARY.length) return VOCABULARY[id - VOCAB_BASE];
  return remembered.get(id);
}

export function encode(text: string): number[] {
  return splitPieces(text).map(tokenId);
}

/** Text of token ids; an id never seen reads as "<id>", as token-id prompts are shown. */
export function decode(ids: readonly number[]): string {
  return ids.map((id) => pieceOf(id) ?? `<${id}>`).join('');
}

/** The UTF-8 bytes of a token, as numbers. */
export function utf8Bytes(token: string): number[] {
  return Array.from(Buffer.from(token, 'utf8'));
}
