import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { minVersion, satisfies } from 'semver';
import { LedgerTestApp } from '../support/ledger-app';

const ROOT = join(__dirname, '..', '..');

interface LockedPackage {
  readonly version?: string;
  readonly engines?: { readonly node?: string } | readonly string[];
}

/**
 * README promises the Node versions of package.json's `engines`; `npm ci` warns EBADENGINE for any locked
 * package that refuses the oldest of them. This reads the lock as npm does and names every such package.
 */
describe('Node versions', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    engines: { node: string };
  };
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockedPackage>;
  };
  const oldest = minVersion(manifest.engines.node)!.version;

  it('the oldest Node the project supports is the one README names', () => {
    expect(oldest).toBe('20.19.0');
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('Node 20.19 or newer');
  });

  it('every locked package accepts it, so that `npm ci` warns of no engine', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([path]) => path !== '')
      .filter(([, locked]) => {
        const node = Array.isArray(locked.engines) ? undefined : (locked.engines as { node?: string })?.node;
        return node !== undefined && !satisfies(oldest, node, { includePrerelease: true });
      })
      .map(([path, locked]) => `${path.replace(/^.*node_modules\//, '')}@${locked.version}`);
    expect(refusing).toEqual([]);
  });

  it('the content-disposition that Node 20 can run serves the OpenAPI page and its files (@fastify/static)', async () => {
    const ledger = await LedgerTestApp.start();
    try {
      const page = await ledger.app.inject({ method: 'GET', url: '/docs' });
      expect(page.statusCode).toBe(200);
      const script = /src="\.?\/?(?:docs\/)?(swagger-ui-bundle\.js)"/.exec(page.body)?.[1];
      expect(script).toBe('swagger-ui-bundle.js');
      const file = await ledger.app.inject({ method: 'GET', url: `/docs/${script}` });
      expect(file.statusCode).toBe(200);
      expect(file.headers['content-type']).toMatch(/javascript/);
    } finally {
      await ledger.stop();
    }
  });
});
