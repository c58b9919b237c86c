// The package as a consumer gets it: `npm pack` of this checkout (its prepack builds the
// library into dist-pack/), installed from the tarball into an empty project with npm. Made once
// per test process and shared (a pack rebuilds the library), removed when the process exits.
// Dependencies come from npm's cache where it has them (--prefer-offline). Install scripts are
// not run: better-sqlite3's would compile its addon for minutes; the one this checkout's own
// install built (same version, same Node) is copied in instead.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from './tempDir.js';

const run = promisify(execFile);
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface PackedInstall {
  /** The consumer project: package.json and node_modules/fmwk-ledger from the tarball. */
  readonly dir: string;
  readonly tarball: string;
  /** The paths in the tarball, without the leading `package/`. */
  readonly files: readonly string[];
  /** npm install's stdout and stderr. */
  readonly installOutput: string;
  /** The working build before and after the pack: files that must survive it, with their mtimes. */
  readonly distBefore: Readonly<Record<string, number | undefined>>;
  readonly distAfter: Readonly<Record<string, number | undefined>>;
}

/** Files of the working build (dist/) a pack must leave as they were. */
const WORKING = ['dist/src/index.js', 'dist/test/support/packedInstall.js', 'dist/examples/demo.js', 'dist/bench/run.js'];

/** npm's environment without what a parent `npm test` sets (npm_config_*, npm_lifecycle_*...). */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

const mtimes = (): Record<string, number | undefined> =>
  Object.fromEntries(WORKING.map((f) => [f, existsSync(join(REPO, f)) ? statSync(join(REPO, f)).mtimeMs : undefined]));

let made: Promise<PackedInstall> | undefined;

/** Packs this checkout and installs the tarball into an empty project (once per process). */
export function packedInstall(): Promise<PackedInstall> {
  return (made ??= make());
}

async function make(): Promise<PackedInstall> {
  const { dir: root, remove } = tempDir('fmwk-packed-');
  process.once('exit', remove);
  const env = npmEnv();
  const distBefore = mtimes();
  const packed = await run('npm', ['pack', '--json', '--pack-destination', root], { cwd: REPO, env, maxBuffer: 64 << 20 });
  const distAfter = mtimes();
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const tarball = join(root, info!.filename);
  const dir = join(root, 'app');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2)}\n`);
  const installed = await run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', tarball], { cwd: dir, env, maxBuffer: 64 << 20 });
  // The native addon, from this checkout's own install of the same version.
  const addon = (base: string) => join(base, 'node_modules', 'better-sqlite3');
  const version = (base: string) => (JSON.parse(readFileSync(join(addon(base), 'package.json'), 'utf8')) as { version: string }).version;
  if (version(REPO) !== version(dir)) throw new Error(`better-sqlite3 ${version(dir)} installed, ${version(REPO)} built here`);
  mkdirSync(join(addon(dir), 'build', 'Release'), { recursive: true });
  cpSync(join(addon(REPO), 'build', 'Release', 'better_sqlite3.node'), join(addon(dir), 'build', 'Release', 'better_sqlite3.node'));
  return {
    dir,
    tarball,
    files: info!.files.map((f) => f.path),
    installOutput: `${installed.stdout}${installed.stderr}`,
    distBefore,
    distAfter,
  };
}

/** Removes nothing itself: the directory goes when the process exits. A subdirectory of the project, for a script that imports the package by name. */
export function projectSubdir(install: PackedInstall, name: string): string {
  const dir = join(install.dir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  return dir;
}
