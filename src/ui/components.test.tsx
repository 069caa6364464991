import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { T0_MS, aCandidateView, aMirrorView, aStatus, anOwnedView, hashN } from '../status/testing.js';
import { Dashboard } from './components/app.js';
import { FOOTER_KEYS, layoutKeys } from './components/footer.js';
import { initialDashboard, reduceDashboard, type DashboardState } from './state.js';

const stateWith = (overrides: Partial<DashboardState> = {}): DashboardState => ({
  ...reduceDashboard(initialDashboard(T0_MS), { type: 'link', link: { kind: 'connected', status: aStatus() } }),
  ...overrides,
});

function frame(state: DashboardState, width = 80, height = 24): string[] {
  const { lastFrame, unmount } = render(<Dashboard state={state} width={width} height={height} />);
  const text = lastFrame() ?? '';
  unmount();
  return text.split('\n');
}

describe('Dashboard at 80x24', () => {
  it('shows the header, resources, the mirror and every footer key, within 80 columns and 24 rows', () => {
    const lines = frame(stateWith());
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    const text = lines.join('\n');
    expect(text).toContain('node node-123');
    expect(text).toContain('daemon 3.00 ok');
    expect(text).toMatch(/running next tick 1m/);
    expect(text).toMatch(/disk \[#*\.+\] 3 GB\/100 GB/);
    expect(text).toContain('owned-dataset-0');
    expect(text).toContain('1 Mirror 3');
    for (const [k, what] of FOOTER_KEYS) expect(text).toContain(`${k} ${what}`);
  });

  it("the header shows the node's estimate of the other smartnodes and what it held back for lack of a source", () => {
    const plan = {
      atMs: T0_MS,
      candidates: 10,
      desired: 3,
      adds: 1,
      removes: 0,
      capacityBytes: 1e11,
      committedBytes: 3e9,
      population: {
        competitors: 41.6,
        othersOnTheirWay: 120.4,
        mineOnTheirWay: 2,
        slowStartAdds: null,
        noSource: 4,
        stalled: 1,
        releasing: 3,
      },
    };
    const text = frame(stateWith({ status: aStatus({ plan }) }), 160).join('\n');
    expect(text).toContain('herd ~42 nodes, 120 copies on their way  no source 4 stalled 1  surplus released 3');
  });

  it('the detail view shows the herd inputs explain shows: copies on their way, competitors, probability, draw, ours vs others', () => {
    const herd = {
      factor: 0.4,
      deficit: 4,
      onTheirWay: 1,
      expectedNodes: 12.5,
      gate: null,
      slowStart: null,
      probability: 0.18,
      draw: 0.45,
      designated: false,
      held: false,
    };
    const candidate = aCandidateView(7, { name: 'herd-left', factors: { leechers: 1, geo: null, slow: null, herd } });
    const population = { competitors: 12.5, othersOnTheirWay: 23, mineOnTheirWay: 2, slowStartAdds: null, noSource: 0, stalled: 0 };
    const plan = { atMs: T0_MS, candidates: 10, desired: 3, adds: 1, removes: 0, capacityBytes: 1e11, committedBytes: 3e9, population };
    const status = aStatus({ plan, mirror: aMirrorView({}, { candidates: [candidate] }) });
    const detail = frame(stateWith({ status, detail: candidate.infoHash }), 100, 30)
      .join(' ')
      .replace(/\s+/g, ' ');
    expect(detail).toContain(
      'x0.4 herd: left to other smartnodes this interval: 4 more seeders are needed, 1 already on their way (leechers above the ' +
        'usual level) and about 12.5 nodes read the same counts, so each takes it with probability 0.18 (this node drew 0.45)',
    );
    expect(detail).toContain(
      'about 12.5 nodes take the same torrents as this one: beside its recent picks (worth 2 at the chances it took them with), 23 copies of others arrived',
    );
    // Designated by slow start: said as such, with the copies on their way and the estimate.
    const drawn = { ...herd, factor: 1, slowStart: 'designated' as const, designated: true };
    const first = aCandidateView(7, { name: 'herd-drawn', factors: { leechers: 1, geo: null, slow: null, herd: drawn } });
    const slow = frame(
      stateWith({ status: { ...status, mirror: aMirrorView({}, { candidates: [first] }) }, detail: first.infoHash }),
      100,
      30,
    )
      .join(' ')
      .replace(/\s+/g, ' ');
    expect(slow).toContain('x1 herd: takes it: deficit 4, slow start drew it; 1 on their way, about 12.5 nodes competing');
    // The sources factor, as explain says it.
    const sources = { factor: 0.32, seeders: 0, webSeeds: 0, partialCopies: 2, canFinish: false };
    const dark = aCandidateView(7, { name: 'no-source', factors: { leechers: 1, geo: null, slow: null, herd, sources } });
    const sourced = frame(
      stateWith({ status: { ...status, mirror: aMirrorView({}, { candidates: [dark] }) }, detail: dark.infoHash }),
      100,
      30,
    )
      .join(' ')
      .replace(/\s+/g, ' ');
    expect(sourced).toContain('x0.32 sources: 0 complete seeders, 0 web seeds, 2 partial copies: nothing can complete a download now');
  });

  it("candidates show the planner's reason for not choosing them, verbatim", () => {
    const status = aStatus({
      mirror: aMirrorView(
        {},
        { candidates: [aCandidateView(0, { name: 'ocean', reason: { code: 'OUTSCORED', text: 'outscored by 3 torrents' } })] },
      ),
    });
    const text = frame(stateWith({ status, view: 'candidates' })).join('\n');
    expect(text).toContain('ocean');
    expect(text).toContain('outscored by 3 torrents');
  });

  it('marks pinned torrents, and a paused agent', () => {
    const status = aStatus({ pins: [hashN(1)], paused: true, agent: { ...aStatus().agent, state: 'paused' } });
    const lines = frame(stateWith({ status }));
    expect(lines.join('\n')).toContain('PAUSED');
    expect(lines.find((l) => l.includes('owned-dataset-1'))).toMatch(/^\s*\* owned-dataset-1/);
    expect(lines.find((l) => l.includes('owned-dataset-0'))).not.toMatch(/\*/);
  });

  it('says when the agent is unreachable', () => {
    const text = frame(
      stateWith({ link: { kind: 'lost', reason: 'the agent went away (its control connection closed)', retryInMs: 1000 } }),
    ).join('\n');
    expect(text).toContain('agent unreachable: the agent went away');
  });

  it('the detail view shows score components, the count source and age, and the reason', () => {
    const owned = anOwnedView(4, {
      name: 'seismic',
      seeders: 1,
      leechers: 2,
      countsSource: 'scrape',
      countsObservedAtMs: T0_MS - 90_000,
      score: 0.42,
      need: 0.84,
      scarcity: 0.7,
      demand: 1.2,
      reason: { code: 'KEPT', text: 'kept: 1 seeder against a target of 5; 2 leechers waiting' },
    });
    const status = aStatus({ mirror: aMirrorView({}, { owned: [owned] }) });
    const text = frame(stateWith({ status, detail: owned.infoHash }), 80, 24).join('\n');
    expect(text).toContain('seismic');
    expect(text).toContain('1 seeders, 2 leechers (from scrape, 1m30s old)');
    expect(text).toContain('score 0.42/GB = need 0.84 (scarcity 0.7 x demand 1.2)');
    expect(text).toContain('kept: 1 seeder against a target of 5; 2 leechers waiting');
  });

  it('the feeds and decisions views', () => {
    const status = aStatus({
      feeds: [
        {
          feedId: 'at-main',
          lastFetchAtMs: T0_MS - 120_000,
          lastOkAtMs: T0_MS - 300_000,
          items: 42,
          notModified: false,
          failures: 2,
          lastError: { code: 'FEED_FETCH', message: 'HTTP 503', retryable: true },
          droppedItems: 1,
        },
      ],
      decisions: [
        {
          atMs: T0_MS,
          kind: 'add',
          infoHash: hashN(1),
          name: 'birds',
          sizeBytes: 1,
          reason: { code: 'NEEDED', text: '0 seeders against a target of 5' },
          dryRun: false,
          error: null,
        },
      ],
    });
    expect(frame(stateWith({ status, view: 'feeds' })).join('\n')).toContain(
      'at-main: 42 items, fetched 2m ago, 2 failed: HTTP 503, 1 items dropped',
    );
    expect(frame(stateWith({ status, view: 'decisions' })).join('\n')).toContain('12:00:00 add     birds: 0 seeders against a target of 5');
  });

  it("the feeds view shows each feed's collection health from the mirror view", () => {
    const feed = {
      feedId: 'at-main',
      lastFetchAtMs: T0_MS,
      lastOkAtMs: T0_MS,
      items: 4,
      notModified: false,
      failures: 0,
      lastError: null,
      droppedItems: 0,
    };
    const health = {
      feedId: 'at-main',
      targetSeeders: 5,
      torrents: 4,
      bytes: 4_000_000_000,
      atTargetTorrents: 1,
      atTargetBytes: 3_000_000_000,
      zeroSeederTorrents: 2,
      unknownTorrents: 0,
    };
    const status = aStatus({ feeds: [feed], mirror: aMirrorView({}, { health: [health] }) });
    expect(frame(stateWith({ status, view: 'feeds' }), 160).join('\n')).toContain(
      'at-main: 4 items, fetched 0s ago, ok; health 25% of 4 torrents and 75% of 4 GB at >= 5 seeders; 2 at zero',
    );
  });
});

describe('Dashboard in small and large terminals', () => {
  it("wide: each torrent's copies now against the target as a bar, this node's own copy marked", () => {
    const owned = [
      anOwnedView(1, { name: 'held-full', otherSeeders: 2, percentDone: 1 }),
      anOwnedView(2, { name: 'held-downloading', otherSeeders: 0, percentDone: 0.4 }),
    ];
    const candidates = [aCandidateView(1, { name: 'wanted', seeders: 1 })];
    const status = aStatus({ mirror: aMirrorView({}, { owned, candidates, targetSeeders: 5 }) });
    const mirror = frame(stateWith({ status }), 140, 30);
    for (const line of mirror) expect(line.length).toBeLessThanOrEqual(140);
    expect(mirror.join('\n')).toContain('copies (▓ ours)');
    expect(mirror.find((l) => l.includes('held-full'))).toContain('██▓·· 2+1/5');
    expect(mirror.find((l) => l.includes('held-downloading'))).toContain('▒···· 0+.4/5');
    const wanted = frame(stateWith({ status, view: 'candidates' }), 140, 30).find((l) => l.includes('wanted'));
    expect(wanted).toContain('█···· 1/5');
    // Narrow, or with no target known, there is no bar.
    expect(frame(stateWith({ status }), 80).join('\n')).not.toContain('▓');
  });

  it('60 columns: renders without crashing, nothing wider than 60, the footer still there', () => {
    const lines = frame(stateWith(), 60, 20);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(60);
    expect(lines.join('\n')).toContain('q quit');
    expect(layoutKeys(60).length).toBeLessThanOrEqual(2);
  });

  it('1,000 owned torrents render only the rows that fit', () => {
    const status = aStatus({ mirror: aMirrorView({ owned: 1000, candidates: 10 }) });
    const lines = frame(stateWith({ status, cursor: { mirror: 500, candidates: 0, decisions: 0, feeds: 0 } }), 120, 30);
    expect(lines.length).toBeLessThanOrEqual(30);
    expect(lines.some((l) => l.includes('owned-dataset-'))).toBe(true);
    expect(lines.filter((l) => l.includes('owned-dataset-')).length).toBeLessThan(30);
  });

  it('shows the score factors in the detail view and the countries column, bandwidth caps in the resources', () => {
    const factors = {
      leechers: 1.25,
      geo: {
        factor: 1.6,
        concentration: 0.8,
        continentGap: 0.5,
        countries: 2,
        continents: 1,
        knownPeers: 10,
        unknownPeers: 1,
        topCountry: 'DE',
        topShare: 0.9,
        newRegion: 'continent' as const,
        peersAre: 'seeders' as const,
        source: 'daemon' as const,
        observedAtMs: T0_MS,
      },
      slow: null,
      herd: null,
    };
    const owned = anOwnedView(5, { name: 'geo-heavy', factors });
    const status = aStatus({
      mirror: aMirrorView({}, { owned: [owned] }),
      bandwidth: {
        atMs: T0_MS,
        scope: 'owned',
        owned: 1,
        changed: 0,
        uploadBytesPerSec: 1_000_000,
        downloadBytesPerSec: null,
        uploadState: 'throttled',
        downloadState: 'open',
        window: null,
        periodUploadedBytes: 2e9,
        periodDownloadedBytes: 0,
      },
    });
    const detail = frame(stateWith({ status, detail: owned.infoHash }), 80, 24)
      .join(' ')
      .replace(/\s+/g, ' '); // lines wrap at 80
    expect(detail).toContain(
      'x1.6 geography: 10 peers in 2 countries on 1 continents, top DE 90%, 1 unresolved; we would bring a new continent',
    );
    expect(detail).toContain('x1.25 leecher demand');
    const wide = frame(stateWith({ status }), 120, 30).join('\n');
    expect(wide).toMatch(/geo-heavy.* DE\+1/);
    expect(wide).toContain('(cap 1 MB/s, throttled)');
    expect(wide).toContain('period up 2 GB down 0 B');
  });
});
