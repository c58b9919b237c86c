// The hostile suite's independent judges, as long-lived python3 children answering one file per
// request: test/hostile/oracle.py (the strict oracle) and the Python verifier printed in the
// README (extracted from README.md at run time, so the documentation cannot drift from the
// contract). Batching many files per process keeps the fuzzing fast.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// Compiled to dist/test/support/; the Python files and the README stay in the source tree.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const ORACLE_PY = join(ROOT, 'test', 'hostile', 'oracle.py');
export const README_MD = join(ROOT, 'README.md');

/** What a verifier says about one file: the fields every verifier in this project must agree on. */
export interface Verdict {
  readonly valid: boolean;
  readonly break_at: number | null;
  readonly count: number;
}

/** A python3 child that reads one path per stdin line and answers one JSON line per path. */
class PathChild {
  private readonly waiting: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  private stderr = '';
  private exited: Error | undefined;

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => this.waiting.shift()?.resolve(line));
    const fail = (why: string) => {
      this.exited = new Error(`python3 ${why}: ${this.stderr.trim()}`);
      for (const w of this.waiting.splice(0)) w.reject(this.exited);
    };
    child.on('exit', (code, signal) => fail(`exited (${code ?? signal})`));
    child.on('error', (e) => fail(`failed: ${e.message}`));
  }

  static start(args: string[]): PathChild {
    return new PathChild(spawn('python3', args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONUTF8: '1' } }));
  }

  ask(path: string): Promise<string> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${path}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await done;
  }
}

/** test/hostile/oracle.py --batch. */
export class Oracle {
  private constructor(private readonly child: PathChild) {}

  static start(): Oracle {
    return new Oracle(PathChild.start([ORACLE_PY, '--batch']));
  }

  /** The oracle's verdict on a file; throws if the oracle could not judge it (never a verdict by accident). */
  async verify(path: string): Promise<Verdict & { torn_bytes?: number; reason?: string }> {
    const answer = JSON.parse(await this.child.ask(path)) as (Verdict & { torn_bytes?: number; reason?: string }) | { error: string };
    if ('error' in answer) throw new Error(`oracle.py could not judge ${path}: ${answer.error}`);
    return answer;
  }

  close(): Promise<void> {
    return this.child.close();
  }
}

/** The ```python block of README.md's byte-contract section, exactly as printed. */
export function readmePythonVerifier(): string {
  const blocks = [...readFileSync(README_MD, 'utf8').matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);
  if (blocks.length !== 1) throw new Error(`README.md must hold exactly one python code block (the verifier); found ${blocks.length}`);
  return blocks[0]!;
}

// Runs the README's script once per path, as `python3 verifier.py PATH` would, inside one
// process: argv set, stdout captured, the exit code taken from SystemExit.
const README_HARNESS = String.raw`
import contextlib, io, json, sys
code = compile(open(sys.argv[1], encoding="utf-8").read(), "readme_verifier.py", "exec")
for raw in sys.stdin.buffer:
    path = raw.rstrip(b"\n").decode("utf-8")
    out, exit_code = io.StringIO(), 0
    sys.argv = ["readme_verifier.py", path]
    with contextlib.redirect_stdout(out):
        try:
            exec(code, {"__name__": "__main__"})
        except SystemExit as e:
            exit_code = e.code
    sys.stdout.write(json.dumps({"code": exit_code, "stdout": out.getvalue()}) + "\n")
    sys.stdout.flush()
`;

/** The README's Python verifier, extracted from README.md, run over one file per request. */
export class ReadmeVerifier {
  private constructor(private readonly child: PathChild) {}

  /** `scratchDir` receives the extracted script (a temp dir of the caller's). */
  static start(scratchDir: string): ReadmeVerifier {
    const script = join(scratchDir, 'readme_verifier.py');
    writeFileSync(script, readmePythonVerifier());
    return new ReadmeVerifier(PathChild.start(['-c', README_HARNESS, script]));
  }

  /** Its verdict: "valid N" (exit 0) or "break at N" (exit 1); anything else throws. */
  async verify(path: string): Promise<Verdict> {
    const { code, stdout } = JSON.parse(await this.child.ask(path)) as { code: number; stdout: string };
    const last = stdout.trim().split('\n').at(-1) ?? '';
    let m: RegExpExecArray | null;
    if (code === 0 && (m = /^valid (\d+)$/.exec(last))) return { valid: true, break_at: null, count: Number(m[1]) };
    if (code === 1 && (m = /^break at (\d+)$/.exec(last))) return { valid: false, break_at: Number(m[1]), count: Number(m[1]) };
    throw new Error(`README verifier gave no verdict on ${path} (exit ${code}): ${stdout}`);
  }

  close(): Promise<void> {
    return this.child.close();
  }
}
