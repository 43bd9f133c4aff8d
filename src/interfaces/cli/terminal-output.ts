import { SingleBar } from 'cli-progress';

/** Prints a command's answer on stdout as indented JSON. */
export const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** A progress bar on stderr, so that stdout carries only the answer. */
export function progressBar(label: string): SingleBar {
  return new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} {unit} | {eta_formatted} left`,
    stream: process.stderr,
    hideCursor: true,
  });
}

/** Progress in MiB of the input file read so far. */
export const showBytes = (bar: SingleBar) => (read: number, total: number) => {
  bar.setTotal(Math.max(1, Math.round(total / 1048576)));
  bar.update(Math.round(read / 1048576));
};
