/**
 * Policy text -> Policy, with every problem reported as `file:line path: message`. Pure: the
 * caller reads the file. YAML is parsed with source ranges so that each schema issue can be
 * pointed at the line of the key (or list item) it is about.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { SmartnodeError } from '../shared/index.js';
import { describePolicyIssues, formatPolicyPath, policyErrorMap, type PolicyPath } from './issues.js';
import { policySchema, type Policy } from './schema.js';

export interface LocatedProblem {
  /** 1-based line in the policy file. */
  readonly line: number;
  /** "storage.maxBytes", "feeds[1].url", or "policy" for the whole file. */
  readonly path: string;
  readonly message: string;
}

const POLICY_HINT = 'fix the lines above and run `smartnode policy check <file>`; policies/default.yaml shows every key with its units';

/**
 * Start offset of the deepest node along `path` that exists in the document: the key of a
 * mapping entry (so an unknown key points at itself), the item of a list. Missing keys point at
 * their parent.
 */
function offsetOf(contents: unknown, path: PolicyPath): number {
  let node: unknown = contents;
  let offset = isNodeWithRange(contents) ? contents.range[0] : 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair === undefined) return offset;
      if (isNodeWithRange(pair.key)) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (!isNodeWithRange(item)) return offset;
      offset = item.range[0];
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

function isNodeWithRange(value: unknown): value is YamlNode & { range: [number, number, number] } {
  return (
    typeof value === 'object' && value !== null && 'range' in value && Array.isArray(value.range) && typeof value.range[0] === 'number'
  );
}

function render(fileName: string, problems: readonly LocatedProblem[]): string {
  return problems.map((p) => `${fileName}:${p.line} ${p.path}: ${p.message}`).join('\n');
}

function invalid(fileName: string, problems: LocatedProblem[]): SmartnodeError {
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  return new SmartnodeError('POLICY_INVALID', render(fileName, sorted), {
    hint: POLICY_HINT,
    details: { file: fileName, problems: sorted },
  });
}

/**
 * Parses and validates a policy. Throws SmartnodeError('POLICY_INVALID') listing every problem,
 * one per line, as `policies/local.yaml:12 storage.maxBytes: expected a size like "500 GB", got "lots"`.
 */
export function parsePolicyText(text: string, fileName: string): Policy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;

  if (doc.errors.length > 0) {
    throw invalid(
      fileName,
      doc.errors.map((e) => ({
        line: lineAt(e.pos[0]),
        path: 'yaml',
        message: e.message.split('\n')[0] ?? e.message,
      })),
    );
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || data === undefined) {
    throw invalid(fileName, [
      { line: 1, path: 'policy', message: 'the file is empty: expected a policy mapping (see policies/default.yaml)' },
    ]);
  }
  const result = policySchema.safeParse(data, { error: policyErrorMap });
  if (result.success) return result.data;

  const problems = describePolicyIssues(result.error.issues, policySchema).map((problem) => ({
    line: lineAt(offsetOf(doc.contents, problem.path)),
    path: formatPolicyPath(problem.path),
    message: problem.message,
  }));
  throw invalid(fileName, problems);
}
