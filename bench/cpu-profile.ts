/**
 * Where a process's time went, from a V8 CPU profile (`node --cpu-prof`): the functions with the most time
 * of their own (self), the same by file, and the most time with what they called (total), as shares of the
 * profile.
 *
 * `node dist/bench/cpu-profile.js FILE.cpuprofile [rows]`
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}

interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

function main(): void {
  const [file, rowsArgument] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpu-profile FILE.cpuprofile [rows]');
  const rows = Number(rowsArgument ?? 30);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const name = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      ? ` ${url.includes('node_modules') ? url.replace(/.*node_modules\//, '') : basename(url)}:${lineNumber + 1}`
      : '';
    return `${functionName || '(anonymous)'}${where}`;
  };
  const fileOf = (node: ProfileNode) => {
    const { url, functionName } = node.callFrame;
    if (!url) return functionName;
    return url.includes('node_modules')
      ? url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, '$1')
      : basename(url);
  };
  const self = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((sample, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    all += delta;
    const leaf = byId.get(sample)!;
    self.set(name(leaf), (self.get(name(leaf)) ?? 0) + delta);
    selfByFile.set(fileOf(leaf), (selfByFile.get(fileOf(leaf)) ?? 0) + delta);
    const seen = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const key = name(byId.get(id)!);
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + delta);
    }
  });
  const top = (table: Map<string, number>, title: string) => {
    console.log(`\n${title}`);
    [...table.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, rows)
      .forEach(([key, micros]) =>
        console.log(
          `  ${((100 * micros) / all).toFixed(1).padStart(5)}%  ${(micros / 1e6).toFixed(2).padStart(7)} s  ${key}`,
        ),
      );
  };
  console.log(`${basename(file)}: ${(all / 1e6).toFixed(1)} s sampled`);
  top(self, 'self time');
  top(selfByFile, 'self time by file (a package, a module, or a native part)');
  top(total, 'total time (with callees)');
}

main();
