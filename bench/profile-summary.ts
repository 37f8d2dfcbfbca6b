import { readFileSync } from 'node:fs';
import { repoRoot } from './lib/processes';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface ProfileRow {
  name: string;
  where: string;
  selfPercent: number;
}

export interface ProfileSummary {
  samples: number;
  /** Self time by function (name and file:line), largest first. */
  topFunctions: ProfileRow[];
  /** Self time by origin: our code (dist/apps, dist/libs), each npm package, node internals, GC, idle. */
  byOrigin: Array<{ origin: string; selfPercent: number }>;
  /**
   * Each sample charged to the innermost function of our code (dist/apps, dist/libs) on its stack: that
   * function's own time plus the library code it called (TypeORM, pg, axios...) until the next frame of ours.
   */
  byOurFunction: ProfileRow[];
  /** SQL statements sent through `pg` during the window (from the profile hook), most frequent first. */
  queries?: { windowMs: number; total: number; statements: Array<{ statement: string; count: number }> };
}

function originOf(url: string, name: string): string {
  if (name === '(garbage collector)') return '(garbage collector)';
  if (name === '(idle)') return '(idle)';
  if (name === '(program)') return '(program: native, outside JS)';
  if (!url) return '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'node: internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /dist\/(apps\/[^/]+|libs\/[^/]+)/.exec(url);
  if (own) return `ours: ${own[1]}`;
  return url;
}

function shortWhere(url: string, line: number): string {
  const path = url.replace(`file://${repoRoot}/`, '').replace(/^.*node_modules\//, '');
  return path ? `${path}:${line + 1}` : '';
}

/** Sums the self time (sample hits) of a V8 .cpuprofile by function and by origin. */
export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples?: number[] };
  const hits = new Map<number, number>();
  if (profile.samples?.length) for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  else for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0);
  const total = [...hits.values()].reduce((a, b) => a + b, 0) || 1;
  const byFunction = new Map<string, ProfileRow>();
  const byOrigin = new Map<string, number>();
  for (const node of profile.nodes) {
    const count = hits.get(node.id) ?? 0;
    if (!count) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const where = shortWhere(url, lineNumber);
    const key = `${name}@${where}`;
    const row = byFunction.get(key) ?? { name, where, selfPercent: 0 };
    row.selfPercent += (100 * count) / total;
    byFunction.set(key, row);
    const origin = originOf(url, name);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + (100 * count) / total);
  }
  const parent = new Map<number, ProfileNode>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node);
  }
  const ours = (node: ProfileNode) => /dist\/(apps|libs)\//.test(node.callFrame.url);
  const byOurs = new Map<string, ProfileRow>();
  for (const [id, count] of hits) {
    let node: ProfileNode | undefined = byId.get(id);
    while (node && !ours(node)) node = parent.get(node.id);
    const name = node ? node.callFrame.functionName || '(anonymous)' : '(no frame of ours: idle, GC, framework, I/O)';
    const where = node ? shortWhere(node.callFrame.url, node.callFrame.lineNumber) : '';
    const key = `${name}@${where}`;
    const row = byOurs.get(key) ?? { name, where, selfPercent: 0 };
    row.selfPercent += (100 * count) / total;
    byOurs.set(key, row);
  }
  const rounded = (value: number) => Number(value.toFixed(2));
  let queries: ProfileSummary['queries'];
  try {
    const counted = JSON.parse(readFileSync(`${file}.queries.json`, 'utf8')) as { windowMs: number; statements: Array<{ statement: string; count: number }> };
    queries = { windowMs: counted.windowMs, total: counted.statements.reduce((a, b) => a + b.count, 0), statements: counted.statements.slice(0, 30) };
  } catch {
    queries = undefined;
  }
  return {
    queries,
    byOurFunction: [...byOurs.values()]
      .sort((a, b) => b.selfPercent - a.selfPercent)
      .slice(0, top)
      .map((row) => ({ ...row, selfPercent: rounded(row.selfPercent) })),
    samples: total,
    topFunctions: [...byFunction.values()]
      .sort((a, b) => b.selfPercent - a.selfPercent)
      .slice(0, top)
      .map((row) => ({ ...row, selfPercent: rounded(row.selfPercent) })),
    byOrigin: [...byOrigin.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([origin, percent]) => ({ origin, selfPercent: rounded(percent) })),
  };
}

export function printProfile(title: string, summary: ProfileSummary): void {
  console.log(`\n${title} (${summary.samples} samples)`);
  console.log('  self %  origin');
  for (const row of summary.byOrigin.slice(0, 12)) console.log(`  ${row.selfPercent.toFixed(1).padStart(6)}  ${row.origin}`);
  console.log('  self %  function');
  for (const row of summary.topFunctions) console.log(`  ${row.selfPercent.toFixed(1).padStart(6)}  ${row.name}  ${row.where}`);
  console.log('  total %  innermost function of ours on the stack (its self time + the library code it called)');
  for (const row of summary.byOurFunction.slice(0, 15)) console.log(`  ${row.selfPercent.toFixed(1).padStart(7)}  ${row.name}  ${row.where}`);
  if (summary.queries) {
    console.log(`  SQL statements in the window: ${summary.queries.total} in ${(summary.queries.windowMs / 1000).toFixed(1)} s`);
    for (const row of summary.queries.statements.slice(0, 15)) console.log(`  ${String(row.count).padStart(7)}  ${row.statement}`);
  }
}

// `node dist/bench/profile-summary.js <file.cpuprofile>`: summarise any profile (e.g. one from --cpu-prof).
if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node dist/bench/profile-summary.js <file.cpuprofile>');
    process.exit(2);
  }
  printProfile(file, summarizeProfile(file));
}
