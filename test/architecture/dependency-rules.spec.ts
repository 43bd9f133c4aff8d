import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The architecture as a test: who may import whom (docs/architecture.md, "Layout"), and no cycles between folders.
 * Each rule names a layer by its folder and the layers it may import; the composition roots may import all.
 */
const ROOT = resolve(__dirname, '..', '..');

const LAYERS: Record<string, readonly string[]> = {
  'src/domain': [],
  'src/ports': ['src/domain'],
  projections: ['src/domain', 'src/ports'],
  reports: ['src/domain', 'src/ports', 'projections'],
  'src/validation': ['src/domain'],
  'src/config': ['src/domain', 'src/ports', 'src/validation'],
  'src/privacy': ['src/domain', 'src/ports'],
  'src/application': [
    'src/domain',
    'src/ports',
    'projections',
    'reports',
    'src/validation',
    'src/config',
    'src/privacy',
  ],
  /** What two or more adapters share (group commit, a polling subscription): no backend of its own. */
  'src/adapters/shared': ['src/domain', 'src/ports'],
  'src/adapters': ['src/domain', 'src/ports', 'src/adapters/shared'],
  'src/interfaces': [
    'src/domain',
    'src/ports',
    'projections',
    'reports',
    'src/validation',
    'src/config',
    'src/privacy',
    'src/application',
  ],
};
/** The composition roots: the entry points, the HTTP app's factory, and the Nest modules that wire the layers. */
const COMPOSITION_ROOTS = [
  'src/app.module.ts',
  'src/cli.module.ts',
  'src/modules',
  'src/app.factory.ts',
  'src/main.ts',
  'src/cli.ts',
  'src/read-worker.ts',
];
const isCompositionRoot = (path: string) =>
  COMPOSITION_ROOTS.some((root) => path === root || path.startsWith(`${root}/`));
/** Pure layers: no framework, no I/O. */
const PURE = ['src/domain', 'projections', 'reports'];
const IMPURE_PACKAGES = /^(@nestjs\/|better-sqlite3|mongodb|pg$|@eventstore\/|fastify|node:fs|fs$|pino)/;

interface SourceFile {
  readonly path: string;
  readonly imports: readonly string[];
  readonly packages: readonly string[];
}

const isSpec = (path: string) => path.endsWith('.spec.ts');

/** Every TypeScript file under the folder, specs included: a unit spec lives in its layer and keeps its rules. */
function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder)).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function parse(path: string): SourceFile {
  const text = readFileSync(join(ROOT, path), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map(
    (match) => match[1]!,
  );
  return {
    path,
    imports: specifiers
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => relative(ROOT, resolve(ROOT, dirname(path), specifier))),
    packages: specifiers.filter((specifier) => !specifier.startsWith('.')),
  };
}

const layerOf = (path: string) =>
  Object.keys(LAYERS)
    .filter((layer) => path === layer || path.startsWith(`${layer}/`))
    .sort((a, b) => b.length - a.length)[0];

/** Imports that cross a layer boundary the rules do not allow. */
function forbiddenImports(files: readonly SourceFile[]): string[] {
  return files.flatMap((file) => {
    const from = layerOf(file.path);
    if (!from) return [];
    return file.imports
      .filter((target) => {
        const to = layerOf(target);
        return to !== undefined && to !== from && !LAYERS[from]!.includes(to);
      })
      .map(
        (target) => `${file.path} -> ${target} (${from} may import ${LAYERS[from]!.join(', ') || 'nothing'})`,
      );
  });
}

/** Cycles in the graph of folders, each as `a -> b -> a`. */
function folderCycles(files: readonly SourceFile[]): string[] {
  const edges = new Map<string, Set<string>>();
  for (const file of files) {
    const from = dirname(file.path);
    for (const target of file.imports) {
      const to = dirname(target);
      if (to !== from) edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
  }
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (folder: string, trail: string[]) => {
    if (state.get(folder) === 'done') return;
    if (state.get(folder) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(folder)), folder].join(' -> '));
      return;
    }
    state.set(folder, 'open');
    for (const next of edges.get(folder) ?? []) visit(next, [...trail, folder]);
    state.set(folder, 'done');
  };
  for (const folder of edges.keys()) visit(folder, []);
  return cycles;
}

const files = [...sourceFiles('src'), ...sourceFiles('projections'), ...sourceFiles('reports')].map(parse);

describe('architecture', () => {
  it('reads the unit specs with the code: they keep the rules of their layer', () => {
    expect(files.map((file) => file.path)).toContain('src/domain/customer.decider.spec.ts');
  });

  it('puts every source file in a layer or a composition root', () => {
    const homeless = files.filter((file) => !layerOf(file.path) && !isCompositionRoot(file.path));
    expect(homeless.map((file) => file.path)).toEqual([]);
  });

  it('imports only across the allowed layer boundaries', () => {
    expect(forbiddenImports(files)).toEqual([]);
  });

  it('keeps the domain and the projections pure: no framework, no I/O', () => {
    // A spec may read its fixtures (the domain's model specs read the public datasets); the code it tests may not.
    const impure = files
      .filter((file) => PURE.includes(layerOf(file.path)!) && !isSpec(file.path))
      .flatMap((file) =>
        file.packages.filter((name) => IMPURE_PACKAGES.test(name)).map((name) => `${file.path}: ${name}`),
      );
    expect(impure).toEqual([]);
  });

  it('has no cycles between folders', () => {
    expect(folderCycles(files)).toEqual([]);
  });

  it('would catch a domain importing a use case, and two folders importing each other', () => {
    const fake = (path: string, ...imports: string[]): SourceFile => ({ path, imports, packages: [] });
    expect(forbiddenImports([fake('src/domain/a.ts', 'src/application/customers/b')])).toEqual([
      'src/domain/a.ts -> src/application/customers/b (src/domain may import nothing)',
    ]);
    expect(forbiddenImports([fake('src/adapters/shared/a.ts', 'src/adapters/sqlite/b')])).toEqual([
      'src/adapters/shared/a.ts -> src/adapters/sqlite/b (src/adapters/shared may import src/domain, src/ports)',
    ]);
    expect(
      folderCycles([
        fake('src/application/gdpr/a.ts', 'src/application/customers/b'),
        fake('src/application/customers/b.ts', 'src/application/gdpr/a'),
      ]),
    ).toEqual(['src/application/gdpr -> src/application/customers -> src/application/gdpr']);
  });
});
