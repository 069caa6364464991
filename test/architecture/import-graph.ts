/**
 * The import graph of src/, read with TypeScript's own parser, and the three rules the build
 * holds it to: no cycle between files, no import around another domain's index.ts, no
 * dependency that points the wrong way. Each rule is a pure function of a graph, so a test
 * can hand it a crafted bad graph and see it fire.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** Importing file, relative to the repository root with `/` separators (`src/agent/tick.ts`). */
  from: string;
  /** Imported file, resolved the same way. */
  to: string;
  /** 1-based line of the import in `from`. */
  line: number;
  /** Only types cross the edge (`import type`, or every named binding is `type X`). */
  typeOnly: boolean;
}

export interface ImportGraph {
  files: readonly string[];
  edges: readonly ImportEdge[];
}

/** Every .ts/.tsx file under `dir` (relative to `root`), declaration files left out. */
export function listSources(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = join(abs, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(toPosix(relative(root, path)));
    }
  };
  walk(join(root, dir));
  return out.sort();
}

/**
 * Reads the relative imports and re-exports (static and dynamic) of every file; packages are
 * left out. An import may lead outside `files` (a test under src/ using test/helpers/).
 */
export function readImportGraph(root: string, files: readonly string[]): ImportGraph {
  const known = new Set(files);
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
    for (const found of importsOf(source)) {
      if (!found.specifier.startsWith('.')) continue;
      const to = resolveSpecifier(file, found.specifier, (path) => known.has(path) || existsSync(join(root, path)));
      if (to === null) throw new Error(`${file}:${found.line}: cannot resolve '${found.specifier}' to a file under ${dirname(file)}`);
      edges.push({ from: file, to, line: found.line, typeOnly: found.typeOnly });
    }
  }
  return { files, edges };
}

interface FoundImport {
  specifier: string;
  line: number;
  typeOnly: boolean;
}

function importsOf(source: ts.SourceFile): FoundImport[] {
  const found: FoundImport[] = [];
  const lineOf = (node: ts.Node): number => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, line: lineOf(node), typeOnly: isTypeOnlyImport(node) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly =
        node.isTypeOnly ||
        (node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && node.exportClause.elements.every((e) => e.isTypeOnly));
      found.push({ specifier: node.moduleSpecifier.text, line: lineOf(node), typeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, line: lineOf(node), typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, line: lineOf(node), typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (clause === undefined) return false; // `import './x.js'` runs the module
  if (clause.isTypeOnly) return true;
  if (clause.name !== undefined) return false;
  const bindings = clause.namedBindings;
  return (
    bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly)
  );
}

/** `./x.js` -> `x.ts` or `x.tsx` beside the importer (ESM `.js` suffixes name the TypeScript source). */
function resolveSpecifier(from: string, specifier: string, exists: (path: string) => boolean): string | null {
  const joined = posix.normalize(posix.join(posix.dirname(from), specifier));
  const stem = joined.replace(/\.(js|jsx|ts|tsx)$/, '');
  for (const candidate of [`${stem}.ts`, `${stem}.tsx`, `${stem}/index.ts`, joined]) if (exists(candidate)) return candidate;
  return null;
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

// ---------------------------------------------------------------------------------------------
// Domains

/** The domain a file belongs to: its first folder under src/ (`src/ui/components/app.tsx` -> `ui`). */
export function domainOf(file: string): string | null {
  const match = /^src\/([^/]+)\//.exec(file);
  return match?.[1] ?? null;
}

export function indexOf(domain: string): string {
  return `src/${domain}/index.ts`;
}

// ---------------------------------------------------------------------------------------------
// Rule (a): no cycle between files

/** Every set of files that import each other in a loop, each as one concrete cycle `a -> b -> a`. */
export function findCycles(graph: ImportGraph): string[][] {
  const next = new Map<string, string[]>();
  for (const e of graph.edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  // Tarjan's strongly connected components; a component of two or more files (or a file that
  // imports itself) is a cycle.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (next.get(v) ?? []).includes(v)) components.push(component);
    }
  };
  const nodes = [...new Set([...graph.files, ...graph.edges.flatMap((e) => [e.from, e.to])])].sort();
  for (const v of nodes) if (!index.has(v)) connect(v);
  return components.map((component) => loopThrough(component, next));
}

/** One loop inside a strongly connected component, from its first file (sorted) back to it. */
function loopThrough(component: readonly string[], next: ReadonlyMap<string, string[]>): string[] {
  const inside = new Set(component);
  const start = [...component].sort()[0]!;
  // Breadth-first from start, inside the component, until an edge returns to start.
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of next.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0]!)!);
        return [...path, start];
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

// ---------------------------------------------------------------------------------------------
// Rule (b): another domain is entered only through its index.ts; a domain's own files import
// each other directly, never through their own index (which would tie every file to all).

export interface Violation {
  edge: ImportEdge;
  message: string;
}

export function findIndexBypasses(graph: ImportGraph, domains: ReadonlySet<string>): Violation[] {
  const out: Violation[] = [];
  for (const edge of graph.edges) {
    const from = domainOf(edge.from);
    const to = domainOf(edge.to);
    if (from === null || to === null) continue;
    if (from !== to) {
      if (!domains.has(to)) out.push({ edge, message: `${to}/ is not a domain with an index: nothing outside it may import it` });
      else if (edge.to !== indexOf(to)) out.push({ edge, message: `goes around ${indexOf(to)}: import it from there` });
    } else if (edge.to === indexOf(to) && edge.from !== indexOf(to)) {
      out.push({ edge, message: `imports its own domain's index: inside ${to}/ import the file itself` });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rule (c): dependencies point one way

export interface DomainRule {
  /** The domains this one may import (through their index). */
  imports: readonly string[];
  /** The names this domain may import from these domains, when only some of what they offer is its business. */
  only?: Readonly<Record<string, { names: readonly string[]; typesOnly: boolean }>>;
}

export type DomainTable = Readonly<Record<string, DomainRule>>;

/**
 * A domain-to-domain edge not in the table, and an import of a restricted domain that takes
 * more than the names, or more than the types, the table allows.
 */
export function findWrongWayEdges(graph: ImportGraph, table: DomainTable, namesOf: (edge: ImportEdge) => string[]): Violation[] {
  const out: Violation[] = [];
  for (const edge of graph.edges) {
    const from = domainOf(edge.from);
    const to = domainOf(edge.to);
    if (from === null || to === null || from === to) continue;
    const rule = table[from];
    if (rule === undefined) {
      out.push({ edge, message: `${from}/ has no row in the allowed-edges table` });
      continue;
    }
    if (!rule.imports.includes(to)) {
      out.push({ edge, message: `${from} -> ${to} points the wrong way (${from} may import: ${rule.imports.join(', ') || 'nothing'})` });
      continue;
    }
    const only = rule.only?.[to];
    if (only === undefined) continue;
    if (only.typesOnly && !edge.typeOnly) out.push({ edge, message: `${from} may take only types from ${to}: use \`import type\`` });
    const extra = namesOf(edge).filter((name) => !only.names.includes(name));
    if (extra.length > 0) out.push({ edge, message: `${from} may take from ${to} only ${only.names.join(', ')}; not ${extra.join(', ')}` });
  }
  return out;
}

/** The names an import or re-export takes (`*` for a namespace or star import). */
export function importedNames(root: string, edge: ImportEdge): string[] {
  const text = readFileSync(join(root, edge.from), 'utf8');
  const source = ts.createSourceFile(edge.from, text, ts.ScriptTarget.Latest, true);
  const names: string[] = [];
  for (const statement of source.statements) {
    const line = source.getLineAndCharacterOfPosition(statement.getStart(source)).line + 1;
    if (line !== edge.line) continue;
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name !== undefined) names.push('default');
      const bindings = clause?.namedBindings;
      if (bindings !== undefined && ts.isNamespaceImport(bindings)) names.push('*');
      if (bindings !== undefined && ts.isNamedImports(bindings))
        for (const e of bindings.elements) names.push((e.propertyName ?? e.name).text);
    } else if (ts.isExportDeclaration(statement)) {
      if (statement.exportClause === undefined || !ts.isNamedExports(statement.exportClause)) names.push('*');
      else for (const e of statement.exportClause.elements) names.push((e.propertyName ?? e.name).text);
    }
  }
  return names;
}

/** A violation as one line a reader can act on: `src/x.ts:3 -> src/y.ts: message`. */
export function describeViolation(v: Violation): string {
  return `${v.edge.from}:${v.edge.line} -> ${v.edge.to}: ${v.message}`;
}
