/**
 * A small reader for the Bicep and TypeScript text the deploy cross-check needs. No Bicep compiler runs on this
 * machine, so these helpers work on the text: comments stripped, blocks found by bracket matching (quotes and
 * `${…}` interpolations respected), declarations found by anchored regexes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export function read(rel: string): string {
  return readFileSync(path.join(ROOT, rel), 'utf8');
}

/** Removes `//` line comments and `/* … *\/` blocks outside string literals (single, double and back quotes). */
export function stripComments(text: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const next = text[i + 1];
    if (quote) {
      out += c;
      if (c === '\\') {
        out += next ?? '';
        i++;
      } else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
      continue;
    }
    if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const skipped = text.slice(i, end < 0 ? text.length : end + 2);
      out += skipped.replace(/[^\n]/g, ' ');
      i = (end < 0 ? text.length : end + 2) - 1;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    out += c;
  }
  return out;
}

/** From the opening bracket at `open`, the index just after its matching close (strings and `${}` respected). */
export function matchBracket(text: string, open: number): number {
  const pairs: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
  const stack: string[] = [];
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === '$' && text[i + 1] === '{') {
        const end = matchBracket(text, i + 1);
        i = end - 1;
      } else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'") quote = c;
    else if (pairs[c]) stack.push(pairs[c]);
    else if (c === '}' || c === ']' || c === ')') {
      if (stack.pop() !== c) throw new Error(`unbalanced "${c}" at offset ${i}`);
      if (stack.length === 0) return i + 1;
    }
  }
  throw new Error(`no closing bracket for offset ${open}`);
}

export interface BicepDeclaration {
  readonly kind: 'resource' | 'module';
  readonly symbol: string;
  /** Resource type with api version, or the module path. */
  readonly type: string;
  readonly existing: boolean;
  /** The body text (comments stripped), from `{` or `[for` to its match. */
  readonly body: string;
  /** The comment lines directly above the declaration (without `//`). */
  readonly comment: string;
  readonly file: string;
  readonly line: number;
}

/** Every `resource` and `module` declaration of a Bicep file. */
export function bicepDeclarations(file: string): BicepDeclaration[] {
  const raw = read(file);
  const text = stripComments(raw);
  const rawLines = raw.split('\n');
  const out: BicepDeclaration[] = [];
  const re = /^(resource|module)\s+(\w+)\s+'([^']+)'\s*(existing\s*)?=\s*(?:if\s*\([^\n]*\)\s*)?([{[])/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const open = m.index + m[0].length - 1;
    const body = text.slice(open, matchBracket(text, open));
    const line = text.slice(0, m.index).split('\n').length;
    const comment: string[] = [];
    for (let l = line - 2; l >= 0; l--) {
      const t = rawLines[l]!.trim();
      if (!t.startsWith('//')) break;
      comment.unshift(t.replace(/^\/\/\s?/, ''));
    }
    out.push({
      kind: m[1] as 'resource' | 'module',
      symbol: m[2]!,
      type: m[3]!,
      existing: Boolean(m[4]),
      body,
      comment: comment.join(' '),
      file,
      line,
    });
  }
  return out;
}

/** `name: '…'` pairs of the `appSettings: [ … ]` array in a Bicep body. */
export function appSettingNames(body: string): string[] {
  const at = body.indexOf('appSettings:');
  if (at < 0) return [];
  const open = body.indexOf('[', at);
  const block = body.slice(open, matchBracket(body, open));
  return [...block.matchAll(/\{\s*name:\s*'([A-Za-z_][A-Za-z0-9_]*)'/g)].map((m) => m[1]!);
}

/** `param name type` declarations, with whether they have a default. */
export function bicepParams(file: string): Array<{ name: string; hasDefault: boolean }> {
  const text = stripComments(read(file));
  return [...text.matchAll(/^param\s+(\w+)\s+\w+(\s*=)?/gm)].map((m) => ({
    name: m[1]!,
    hasDefault: Boolean(m[2]),
  }));
}

/** All files under a directory (relative to the repo root) whose name ends with `ext`. */
export function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(ROOT, rel))) {
      const child = `${rel}/${name}`;
      if (statSync(path.join(ROOT, child)).isDirectory()) walk(child);
      else if (name.endsWith(ext)) out.push(child);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Method names declared on the named classes/interfaces of a TypeScript declaration file: members at the first
 * indentation level of the type's body, written `name(`, `name<T>(`, `static name(` or `name: (` (property
 * holding a function, as in generated ARM operation interfaces).
 */
export function declaredMethods(dtsText: string, typeNames: readonly string[]): Map<string, Set<string>> {
  const text = stripComments(dtsText);
  const result = new Map<string, Set<string>>();
  for (const type of typeNames) {
    const m = new RegExp(`(?:class|interface)\\s+${type}\\b[^{]*\\{`).exec(text);
    if (!m) continue;
    const open = m.index + m[0].length - 1;
    const body = text.slice(open + 1, matchBracket(text, open) - 1);
    const names = new Set<string>();
    for (const line of body.split('\n')) {
      const mm =
        /^ {4}(?:static |readonly |get |async )*([A-Za-z_$][\w$]*)\??(?:\s*<.*>)?\s*(?:\(|:\s*(?:<[^>]*>\s*)?\()/.exec(
          line,
        );
      if (mm && mm[1] !== 'constructor') names.add(mm[1]!);
    }
    result.set(type, names);
  }
  return result;
}

/** Calls `.name(`, `.name<T>(` and `?.name(` in TypeScript source (comments stripped), with line numbers. */
export function methodCalls(source: string): Array<{ name: string; line: number }> {
  const text = stripComments(source);
  const out: Array<{ name: string; line: number }> = [];
  const re = /\??\.([A-Za-z_$][\w$]*)\s*(?:<[^()]*?>)?\s*\(/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ name: m[1]!, line: text.slice(0, m.index).split('\n').length });
  }
  return out;
}

/** `@azure/*` packages a source file imports (static, type-only or dynamic). */
export function azureImports(source: string): Set<string> {
  const out = new Set<string>();
  for (const m of source.matchAll(/(?:from\s+|import\s*\(\s*)'(@azure\/[a-z0-9-]+)'/g)) out.add(m[1]!);
  return out;
}

/** Glob match used by Azure RBAC action patterns (`*` spans any characters), case-insensitive. */
export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('.*')}$`, 'i');
  return re.test(action);
}

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** Keys at the top level of an object block `{ … }` (nested objects, arrays and strings skipped). */
export function topLevelKeys(block: string): string[] {
  const inner = block.trim().replace(/^\{/, '').replace(/\}$/, '');
  const keys: string[] = [];
  let depth = 0;
  let quote = false;
  let lineStart = true;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (quote) {
      if (c === "'") quote = false;
      continue;
    }
    if (c === "'") quote = true;
    else if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if (c === '\n') {
      lineStart = true;
      continue;
    }
    if (lineStart && depth === 0 && /\S/.test(c)) {
      const m = /^(\w+)\s*:/.exec(inner.slice(i));
      if (m) keys.push(m[1]!);
    }
    if (/\S/.test(c)) lineStart = false;
  }
  return keys;
}

/** The value block of `key: { … }` inside a body, or undefined. */
export function objectProperty(body: string, key: string): string | undefined {
  const m = new RegExp(`\\b${key}:\\s*\\{`).exec(body);
  if (!m) return undefined;
  const open = m.index + m[0].length - 1;
  return body.slice(open, matchBracket(body, open));
}

/** `output name type` declarations of a Bicep file. */
export function bicepOutputs(file: string): string[] {
  return [...stripComments(read(file)).matchAll(/^output\s+(\w+)\s/gm)].map((m) => m[1]!);
}
