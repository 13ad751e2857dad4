/**
 * Takes secrets out of text that leaves the node (error messages, log lines,
 * status text, bodies a server echoes back), whatever put them there.
 */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join('***');
  }
  return out;
}

/** A value with every string that holds a secret scrubbed; untouched (same object) when none does. */
export function scrubValue<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return value;
  }
  if (text === undefined || !secrets.some((s) => s.length >= 4 && text!.includes(s))) return value;
  return deepScrub(value, secrets) as T;
}

function deepScrub(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return scrubText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => deepScrub(v, secrets));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[scrubText(k, secrets)] = deepScrub(v, secrets);
    return out;
  }
  return value;
}

/** Whether raw server content mentions a secret, checked before any parsing. */
export function mentionsSecret(raw: Buffer | string, secrets: readonly string[]): boolean {
  return secrets.some((secret) => raw.includes(secret));
}

/** The start of a body for an error text; scrubbed before it is cut, so no part of a secret survives. */
export function scrubbedPreview(raw: string, secrets: readonly string[], length = 80): string {
  const text = scrubText(raw, secrets);
  return text.length > length ? `${JSON.stringify(text.slice(0, length))}…` : JSON.stringify(text);
}
