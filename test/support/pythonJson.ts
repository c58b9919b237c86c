// One long-lived python3 child that answers canonical-JSON questions in batches, so property
// tests can compare thousands of values with Python's json module in a few round trips.
//
// Protocol: one JSON request per line on stdin, one JSON answer per line on stdout. Texts are
// JSON documents that Python parses itself (json.loads), so integers of any size, float lexemes
// and odd whitespace reach Python exactly as written.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

const SCRIPT = String.raw`
import base64, hashlib, json, sys

def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode('utf-8')

def b64(b):
    return base64.b64encode(b).decode('ascii')

def one(op, text, drop_hash):
    obj = json.loads(text)
    if op == 'canon':
        if drop_hash and isinstance(obj, dict):
            obj.pop('hash', None)
        b = canon(obj)
        return {'ok': True, 'b64': b64(b), 'sha256': 'sha256:' + hashlib.sha256(b).hexdigest()}
    if op == 'sign':
        # An event as a conforming Python writer stores it: hash over canonical JSON without
        # 'hash', then the line (canonical, plus other renderings a sloppier writer might use).
        obj.pop('hash', None)
        h = 'sha256:' + hashlib.sha256(canon(obj)).hexdigest()
        obj['hash'] = h
        return {'ok': True, 'hash': h, 'lines': {
            'canonical': canon(obj).decode('utf-8'),
            'spaced': json.dumps(obj, sort_keys=True, ensure_ascii=False),
            'ascii': json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=True),
            'unsorted': json.dumps(obj, separators=(',', ':'), ensure_ascii=False),
            'unsorted_spaced_ascii': json.dumps(obj),
        }}
    raise ValueError('unknown op ' + op)

for raw in sys.stdin.buffer:
    req = json.loads(raw.decode('utf-8'))
    out = []
    for text in req['texts']:
        try:
            out.append(one(req['op'], text, req.get('drop_hash', False)))
        except Exception as e:
            out.append({'ok': False, 'error': type(e).__name__ + ': ' + str(e)})
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()
`;

export type CanonAnswer = { ok: true; b64: string; sha256: string } | { ok: false; error: string };
export type SignAnswer =
  | { ok: true; hash: string; lines: { canonical: string; spaced: string; ascii: string; unsorted: string; unsorted_spaced_ascii: string } }
  | { ok: false; error: string };

/** A python3 process answering batches of canonical-JSON requests. */
export class PythonJson {
  private readonly rl: Interface;
  private readonly waiting: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  private stderr = '';
  private exited: Error | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (this.stderr += d));
    this.rl = createInterface({ input: child.stdout, crlfDelay: Infinity });
    this.rl.on('line', (line) => this.waiting.shift()?.resolve(line));
    const fail = (why: string) => {
      this.exited = new Error(`python3 ${why}: ${this.stderr.trim()}`);
      for (const w of this.waiting.splice(0)) w.reject(this.exited);
    };
    child.on('exit', (code, signal) => fail(`exited (${code ?? signal})`));
    child.on('error', (e) => fail(`failed: ${e.message}`));
  }

  static start(): PythonJson {
    const child = spawn('python3', ['-c', SCRIPT], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONUTF8: '1' },
    });
    return new PythonJson(child);
  }

  private request(req: object): Promise<string> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      // JSON.stringify escapes lone surrogates (\udXXX), which json.loads turns back into them.
      this.child.stdin.write(`${JSON.stringify(req)}\n`);
    });
  }

  /** Python's canonical bytes and hash of each JSON text (optionally without a top-level `hash`). */
  async canon(texts: readonly string[], dropHash = false): Promise<CanonAnswer[]> {
    return JSON.parse(await this.request({ op: 'canon', texts, drop_hash: dropHash })) as CanonAnswer[];
  }

  /** Each JSON text (an event) hashed and stored as a Python writer would. */
  async sign(texts: readonly string[]): Promise<SignAnswer[]> {
    return JSON.parse(await this.request({ op: 'sign', texts })) as SignAnswer[];
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await done;
  }
}
