// The one hash of the demo server: generation, token ids and answer ids all derive from it,
// so the same request gives the same answer in every process.

/** 32-bit FNV-1a over the UTF-16 code units of `text`, continuing from `hash`. */
export function fnv1a(text: string, hash = 0x811c9dc5): number {
  let h = hash >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: a tiny PRNG with good enough spread. Returns a uint32 per call. */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` letters and digits drawn from `seed`: ids that look random but repeat per seed. */
export function alnum(seed: string, length: number): string {
  const rng = makeRng(fnv1a(seed));
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[rng() % ALNUM.length];
  return out;
}
