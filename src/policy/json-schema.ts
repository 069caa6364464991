/**
 * The policy schema for people and editors: a JSON Schema of the INPUT side (sizes and
 * durations as text, defaults as written) for yaml-language-server, and a markdown reference
 * table built from the same descriptions. Both derive from schema.ts, so neither can drift.
 * Pure.
 */
import { z } from 'zod';
import { policySchema } from './schema.js';

export type JsonSchema = z.core.JSONSchema.BaseSchema;

/** Draft-07: the draft yaml-language-server (VS Code, Neovim) validates most completely. */
export function policyJsonSchema(): JsonSchema {
  return z.toJSONSchema(policySchema, { io: 'input', target: 'draft-07' });
}

/** The exact text of policies/policy.schema.json. */
export function renderPolicyJsonSchema(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}

interface Row {
  readonly key: string;
  readonly type: string;
  readonly required: boolean;
  readonly defaultValue: string;
  readonly description: string;
}

function asSchema(value: unknown): JsonSchema | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonSchema) : undefined;
}

function typeOf(schema: JsonSchema): string {
  const kind = schema['x-kind'];
  if (kind === 'size') return 'size: "500 GB", "2 TiB", or bytes';
  if (kind === 'duration') return 'duration: "45s", "15m", "1h30m", "7d"';
  if (kind === 'rate') return 'rate: "10 MB/s", "100 Mbit/s", or bytes/s';
  if (kind === 'path') return 'absolute path';
  if (kind === 'env-name') return 'environment variable name';
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.type === 'string' && schema.format === 'uri') return 'URL';
  if (schema.type === 'array') {
    const items = asSchema(schema.items);
    if (items?.type === 'object') return 'list of mappings';
    if (items === undefined) return 'list';
    const itemType = typeOf(items);
    return itemType === 'URL' ? 'list of URLs' : `list of ${itemType}`;
  }
  if (schema.type === 'object') return 'section';
  if (schema.type === 'integer') return 'whole number';
  return typeof schema.type === 'string' ? schema.type : 'value';
}

function collectRows(schema: JsonSchema, prefix: string, rows: Row[]): void {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  for (const [name, value] of Object.entries(properties)) {
    const child = asSchema(value);
    if (child === undefined) continue;
    const key = prefix === '' ? name : `${prefix}.${name}`;
    const isSection = child.type === 'object';
    const hasDefault = child.default !== undefined && !isSection;
    rows.push({
      key,
      type: typeOf(child),
      required: required.has(name),
      defaultValue: hasDefault ? JSON.stringify(child.default) : '',
      description: child.description ?? '',
    });
    if (isSection) collectRows(child, key, rows);
    const items = child.type === 'array' ? asSchema(child.items) : undefined;
    if (items?.type === 'object') collectRows(items, `${key}[]`, rows);
  }
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * A markdown reference of every policy key: key, type, default (or "required") and
 * description, in file order. Meant for the README.
 */
export function describePolicySchema(): string {
  const rows: Row[] = [];
  collectRows(policyJsonSchema(), '', rows);
  const lines = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const row of rows) {
    const fallback = row.type === 'section' ? '' : 'optional';
    const defaultText = row.required ? '**required**' : row.defaultValue === '' ? fallback : `\`${row.defaultValue}\``;
    lines.push(`| \`${row.key}\` | ${cell(row.type)} | ${defaultText} | ${cell(row.description)} |`);
  }
  return `${lines.join('\n')}\n`;
}
