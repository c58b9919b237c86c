// Every public export has a one-line summary (issue 11 §3). `npm run docs` (typedoc) lists the
// exports without one as warnings; this spec holds the files whose summaries are complete to
// that, with the TypeScript checker (seconds, not typedoc's full render): each export of the four
// entry points, and each public method, accessor and function-valued field of an exported class
// or interface, declared in those files.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { tempDir } from '../support/tempDir.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRY_POINTS = ['src/index.ts', 'src/immudb.ts', 'src/verify.ts', 'src/testing.ts'];
/** Files whose every public export is documented: all of the library now. */
const COMPLETE = [/^(src|projections|replay|snapshots)\//];

/** `file: name` of every public export (and public member) of the entry points that has no doc comment. */
function undocumented(root: string, entryPoints: readonly string[]): string[] {
  const program = ts.createProgram(entryPoints.map((e) => join(root, e)), { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const missing = new Set<string>();
  const isDocumented = (symbol: ts.Symbol, decl: ts.Declaration) =>
    symbol.getDocumentationComment(checker).length > 0 || ts.getJSDocCommentsAndTags(decl).length > 0;
  const check = (symbol: ts.Symbol, name: string) => {
    for (const decl of symbol.getDeclarations() ?? []) {
      const file = relative(root, decl.getSourceFile().fileName);
      if (!isDocumented(symbol, decl)) missing.add(`${file}: ${name}`);
      if (!ts.isClassDeclaration(decl) && !ts.isInterfaceDeclaration(decl)) continue;
      for (const member of decl.members) {
        const m = member.name === undefined ? undefined : checker.getSymbolAtLocation(member.name);
        const modifiers = ts.canHaveModifiers(member) ? ts.getModifiers(member) ?? [] : [];
        const hidden = modifiers.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword) ||
          (member.name !== undefined && ts.isPrivateIdentifier(member.name)) || ts.isConstructorDeclaration(member) ||
          ts.getJSDocTags(member).some((t) => t.tagName.text === 'internal');
        if (m === undefined || hidden) continue;
        // As typedoc's requiredToBeDocumented: data fields are named by their type; methods and
        // accessors, and fields holding functions (callbacks, hooks), need a summary.
        const isField = ts.isPropertyDeclaration(member) || ts.isPropertySignature(member);
        if (isField && checker.getTypeOfSymbolAtLocation(m, member).getCallSignatures().length === 0) continue;
        if (!isDocumented(m, member)) missing.add(`${file}: ${name}.${m.getName()}`);
      }
    }
  };
  for (const entry of entryPoints) {
    const source = program.getSourceFile(join(root, entry))!;
    for (const exported of checker.getExportsOfModule(checker.getSymbolAtLocation(source)!)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      check(symbol, exported.getName());
    }
  }
  return [...missing].sort();
}

describe('docs: a summary on every public export', function () {
  this.timeout(60_000);

  it('none is missing in the files held complete', () => {
    const missing = undocumented(REPO, ENTRY_POINTS);
    const inComplete = missing.filter((m) => COMPLETE.some((re) => re.test(m.split(':')[0]!)));
    expect(inComplete, 'exports without a summary').to.deep.equal([]);
    // The rest are other areas' files, listed (like `npm run docs` does) so the number is visible.
    if (missing.length > 0) console.log(`      (${missing.length} exports without a summary elsewhere: ${missing.slice(0, 5).join('; ')}${missing.length > 5 ? '; …' : ''})`);
  });

  it('the check sees a missing summary on an export, a re-export and a member, and not a private one', () => {
    const { dir, remove } = tempDir('fmwk-docs-summaries-');
    try {
      writeFileSync(join(dir, 'a.ts'), '/** Documented. */\nexport class A {\n  get(name: string) { return name; }\n  /** Documented. */\n  has() { return true; }\n  private x = 1;\n}\nexport interface B { readonly c: number; readonly f: () => void }\n');
      writeFileSync(join(dir, 'entry.ts'), "export { A, type B } from './a.js';\n/** Documented. */\nexport const d = 1;\nexport function e() {}\n");
      expect(undocumented(dir, ['entry.ts'])).to.deep.equal(['a.ts: A.get', 'a.ts: B', 'a.ts: B.f', 'entry.ts: e']);
    } finally {
      remove();
    }
  });
});
