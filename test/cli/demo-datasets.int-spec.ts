import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEMO_FILES, missingDemoFiles } from '../../src/interfaces/cli/demo-datasets';

const ROOT = join(__dirname, '..', '..');

describe('npm run demo without its datasets', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-demo-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('lists the files it misses in the folder it looked in', () => {
    const datasets = join(directory, 'some-data');
    const [, present] = DEMO_FILES[0]!;
    mkdirSync(dirname(join(datasets, present)), { recursive: true });
    writeFileSync(join(datasets, present), '');
    expect(missingDemoFiles(datasets)).toEqual(DEMO_FILES.slice(1).map(([, file]) => file));
  });

  it('says where it looked and how to point it elsewhere, loads nothing and exits 2, instead of a raw ENOENT', () => {
    const dataDir = join(directory, 'data');
    const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli.ts', 'demo'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, LEDGER_DATASETS: join(directory, 'nowhere') },
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      `npm run demo needs the public datasets in ${join(directory, 'nowhere')}; missing there:`,
    );
    expect(run.stderr).toContain('  - uci-online-retail/online_retail.csv.gz');
    expect(run.stderr).toContain('--datasets <folder>');
    expect(run.stderr).not.toContain('ENOENT');
    expect(existsSync(dataDir)).toBe(false);
  });
});
