import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { describePolicySchema, policyJsonSchema, renderPolicyJsonSchema, type JsonSchema } from './json-schema.js';

const COMMITTED = new URL('../../policies/policy.schema.json', import.meta.url);

/** Every property schema in the tree, with its dotted key. */
function allProperties(schema: JsonSchema, prefix = ''): [string, JsonSchema][] {
  const out: [string, JsonSchema][] = [];
  for (const [name, value] of Object.entries(schema.properties ?? {})) {
    if (typeof value !== 'object') continue;
    const key = prefix === '' ? name : `${prefix}.${name}`;
    out.push([key, value]);
    out.push(...allProperties(value, key));
    if (typeof value.items === 'object' && !Array.isArray(value.items)) out.push(...allProperties(value.items, `${key}[]`));
  }
  return out;
}

describe('policy JSON Schema', () => {
  it('is committed exactly as generated (run `npm run schema` after changing schema.ts)', async () => {
    const committed = await readFile(COMMITTED, 'utf8');
    expect(committed).toBe(renderPolicyJsonSchema());
  });

  it('describes the input side: sizes and durations as text, strict objects, draft-07', () => {
    const schema = policyJsonSchema();
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['daemon', 'storage', 'feeds']);
    const props = new Map(allProperties(schema));
    expect(props.get('storage.minFreeBytes')).toMatchObject({ default: '50 GB', type: ['string', 'number'], 'x-kind': 'size' });
    expect(props.get('scoring.minSeedTime')).toMatchObject({ default: '3d', 'x-kind': 'duration' });
    expect(props.get('daemon')).toMatchObject({ additionalProperties: false });
    expect(props.get('daemon.password')).toBeUndefined();
  });

  it('has a description on every key', () => {
    const missing = allProperties(policyJsonSchema())
      .filter(([, schema]) => typeof schema.description !== 'string' || schema.description.length < 10)
      .map(([key]) => key);
    expect(missing).toEqual([]);
  });
});

describe('describePolicySchema', () => {
  const markdown = describePolicySchema();
  const rows = markdown.trim().split('\n').slice(2);

  it('has one table row per key, every key of the JSON Schema', () => {
    const keys = rows.map((row) => /^\| `([^`]+)` \|/.exec(row)?.[1]);
    expect(keys).toEqual(allProperties(policyJsonSchema()).map(([key]) => key));
  });

  it('shows type, default or required, and the description', () => {
    expect(markdown.startsWith('| Key | Type | Default | Description |\n| --- | --- | --- | --- |\n')).toBe(true);
    expect(rows).toContain(
      '| `storage.maxBytes` | size: "500 GB", "2 TiB", or bytes | **required** | Disk budget: ' +
        'the committed size of all owned torrents stays at or under this. |',
    );
    expect(rows).toContain(
      '| `intervals.tick` | duration: "45s", "15m", "1h30m", "7d" | `"15m"` | How often the agent reconciles (observe, plan, apply). |',
    );
    expect(rows.find((r) => r.startsWith('| `feeds[].format`'))).toContain('"auto" \\| "rss" \\| "at-csv" \\| "json"');
    expect(rows.find((r) => r.startsWith('| `daemon.passwordEnv`'))).toContain('| environment variable name | optional |');
  });
});
