/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. `BENCH_CPU_PROF=<dir> npm run bench`):
 * self time by function and by package/file, and the inclusive time of this
 * project's functions (nodes/ and nodes/lib/).
 *
 *   node dist/bench/profile-summary.js <file.cpuprofile> [top=25] [frame regex]
 *
 * With a regex (matched against "function  package-or-file:line"), also the inclusive
 * time of every matching frame, e.g. 'translate|AbortController|cloneMessage'.
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function where(url: string): string {
  if (!url) return '(native/V8)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1).replace(/^file:\/\//, '');
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '');
}

export function summarize(file: string, top = 25, pattern?: RegExp): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, v]) => a + v, 0);
  const busy = total - idle;

  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const fnSelf = new Map<string, number>();
  const pkgSelf = new Map<string, number>();
  const projectInclusive = new Map<string, number>();
  const matchInclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') continue;
    add(fnSelf, `${name}  ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`, us);
    add(pkgSelf, where(n.callFrame.url), us);
    // Inclusive time of project frames: walk up once per distinct frame on the stack.
    const seen = new Set<string>();
    const seenMatch = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      const key = `${f.functionName || '(anonymous)'}  ${where(f.url)}:${f.lineNumber + 1}`;
      if (pattern && pattern.test(key) && !seenMatch.has(key)) {
        seenMatch.add(key);
        add(matchInclusive, key, us);
      }
      if (!/\/dist\/nodes\//.test(f.url)) continue;
      if (seen.has(key)) continue;
      seen.add(key);
      add(projectInclusive, key, us);
    }
  }
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  const list = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${pct(v)}  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`)
      .join('\n');
  return [
    `${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (percentages of busy time)`,
    '',
    'self time by package / file:',
    list(pkgSelf, 15),
    '',
    `self time by function (top ${top}):`,
    list(fnSelf, top),
    '',
    'inclusive time of this project\'s functions (dist/nodes):',
    list(projectInclusive, top),
    ...(pattern ? ['', `inclusive time of frames matching ${pattern}:`, list(matchInclusive, top)] : []),
  ].join('\n');
}

if (require.main === module) {
  const [file, top, pattern] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node dist/bench/profile-summary.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(summarize(file, top ? Number(top) : 25, pattern ? new RegExp(pattern) : undefined));
}
