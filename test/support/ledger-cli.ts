import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface LedgerCliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `npm run ledger -- <args>` as a child process with the given environment added. */
export function startLedgerCli(
  env: Record<string, string>,
  args: readonly string[],
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
}

/** Runs the CLI to its end (or its death) and collects what it printed. */
export function runLedgerCli(
  env: Record<string, string>,
  args: readonly string[],
  onStart: (child: ChildProcessWithoutNullStreams) => void = () => undefined,
): Promise<LedgerCliRun> {
  return new Promise((resolve, reject) => {
    const child = startLedgerCli(env, args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end();
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    onStart(child);
  });
}
