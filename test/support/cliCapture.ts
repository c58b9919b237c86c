// A CliIO for running a command in process: stdout and stderr collected as text.
import { PassThrough } from 'node:stream';
import type { CliIO } from '../../src/cli/command.js';

export function capture(): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d) => (o += d));
  stderr.on('data', (d) => (e += d));
  return { stdin: new PassThrough(), stdout, stderr, out: () => o, err: () => e };
}
