import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createEventBus, type AgentEvent } from '../agent/index.js';
import { createLogger, logAgentEvents } from './log.js';

/** Every line a logger in `format` writes for the events. */
function logged(format: 'json' | 'pretty', events: AgentEvent[]): string[] {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const bus = createEventBus();
  logAgentEvents(bus, createLogger({ format, destination: out }));
  for (const e of events) bus.emit(e);
  return chunks
    .join('')
    .split('\n')
    .filter((l) => l !== '');
}

const NO_SOURCE_TEXT = 'no complete seeder and no web seed: nothing can be downloaded now';

const planned: Extract<AgentEvent, { type: 'planned' }> = {
  type: 'planned',
  atMs: 1_700_000_000_000,
  candidates: 40,
  desired: 12,
  adds: 3,
  removes: 1,
  capacityBytes: 10e9,
  committedBytes: 6e9,
  noSource: 4,
  stalled: 2,
  noSourceReason: NO_SOURCE_TEXT,
  population: { competitors: 7.46, othersOnTheirWay: 5, mineOnTheirWay: 1, slowStartAdds: 8, noSource: 4, stalled: 2, releasing: 3 },
};

describe('the planned log line', () => {
  it('carries the herd estimates and what was held back, with the NO_SOURCE reason', () => {
    const [line] = logged('pretty', [planned]);
    expect(line).toMatch(
      /planned: 40 candidates, 12 to hold, 3 to add, 1 to remove; about 7\.46 nodes competing, 5 copies on their way \(1 ours\)/,
    );
    expect(line).toMatch(/slow start: up to 8 needy torrents; 3 surplus copies released; 2 stalled \(STALLED\)/);
    expect(line).toContain(`4 held back (NO_SOURCE: ${NO_SOURCE_TEXT})`);
  });

  it('as JSON: counts and estimates in fields', () => {
    const [line] = logged('json', [planned]);
    const record = JSON.parse(line ?? '{}') as Record<string, unknown>;
    expect(record).toMatchObject({
      event: 'planned',
      noSource: 4,
      stalled: 2,
      population: { competitors: 7.5, othersOnTheirWay: 5, mineOnTheirWay: 1, slowStartAdds: 8, surplusReleased: 3 },
    });
  });

  it('a node without herd estimates still logs what it held back for lack of a source', () => {
    const { population: _, ...alone } = planned;
    const [line] = logged('pretty', [{ ...alone, stalled: 0 }]);
    expect(line).toMatch(/to remove; 4 held back \(NO_SOURCE: no complete seeder/);
    expect(line).not.toMatch(/competing|STALLED/);
    const quiet = logged('pretty', [{ ...alone, noSource: 0, stalled: 0, noSourceReason: null }]);
    expect(quiet[0]).toMatch(/to remove {2}candidates=/);
  });
});
