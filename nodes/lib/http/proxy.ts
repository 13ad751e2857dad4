/**
 * The proxy the environment names for a URL, read the way curl, npm and the usual
 * Node.js clients read it: `<scheme>_proxy` (lower case first), then `all_proxy`;
 * `no_proxy` lists hosts to reach directly (`*` for all, a leading `.` or `*.` for
 * a domain and its subdomains, an optional `:port`).
 */
export function proxyFor(target: URL, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const scheme = target.protocol.replace(/:$/, '');
  const named = read(env, `${scheme}_proxy`) || read(env, 'all_proxy');
  if (!named || bypassed(target, read(env, 'no_proxy'))) return undefined;
  try {
    const proxy = new URL(named.includes('://') ? named : `http://${named}`);
    return proxy.protocol === 'http:' || proxy.protocol === 'https:' ? proxy : undefined;
  } catch {
    return undefined;
  }
}

function read(env: NodeJS.ProcessEnv, name: string): string {
  return (env[name.toLowerCase()] ?? env[name.toUpperCase()] ?? '').trim();
}

function bypassed(target: URL, noProxy: string): boolean {
  if (!noProxy) return false;
  if (noProxy === '*') return true;
  const hostname = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return noProxy.split(/[,\s]+/).some((entry) => {
    if (!entry) return false;
    const { host, port: entryPort } = hostAndPort(entry.toLowerCase());
    if (entryPort && entryPort !== port) return false;
    const domain = host.replace(/^\*/, '');
    if (!domain.startsWith('.')) return hostname === domain;
    return hostname.endsWith(domain) || hostname === domain.slice(1);
  });
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address. */
function hostAndPort(entry: string): { host: string; port?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] };
  if (entry.indexOf(':') !== entry.lastIndexOf(':')) return { host: entry };
  const [host, port] = entry.split(':');
  return { host, port };
}
