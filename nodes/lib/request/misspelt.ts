import type { FieldProblem } from './validate';

/**
 * Parameters a server does not know are forwarded as they are, and most servers then
 * ignore them without a word: `max_token` or `temprature` would run with the server's
 * defaults. A name that is not known but nearly is one that is known is refused, with
 * the name it nearly is. Near: the same once case, `_` and `-` are set aside (`maxTokens`),
 * or one edit away (two for names of ten letters or more), and nearer to one known
 * name than to any other.
 */
export function misspeltParams(request: Record<string, unknown>, known: ReadonlySet<string>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const name of Object.keys(request)) {
    if (known.has(name)) continue;
    const meant = nearestKnown(name, known);
    if (meant) problems.push({ field: name, reason: `is unknown: did you mean ${meant}? (the node and its servers know no such parameter; an unknown one would be sent as it is, and ignored)` });
  }
  return problems;
}

const plain = (name: string) => name.toLowerCase().replace(/[_-]/g, '');

function nearestKnown(name: string, known: ReadonlySet<string>): string | undefined {
  const given = plain(name);
  // Too short to tell a slip from another parameter (top_k, top_p, top_a).
  if (given.length < 5 || given.length > 64) return undefined;
  const allowed = given.length >= 10 ? 2 : 1;
  let best: string | undefined;
  let bestDistance = Infinity;
  let tie = false;
  for (const candidate of known) {
    const target = plain(candidate);
    if (target.length < 5 || Math.abs(target.length - given.length) > allowed) continue;
    const distance = target === given ? 0 : editDistance(given, target, allowed);
    if (distance > allowed) continue;
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
      tie = false;
    } else if (distance === bestDistance) {
      tie = true;
    }
  }
  return tie ? undefined : best;
}

/** Optimal string alignment distance (a swap of neighbours is one edit), stopping early once above `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = new Array<number>(b.length + 1);
    current[0] = i;
    let rowMin = current[0];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2] + 1);
      current[j] = d;
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > limit) return limit + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length];
}
