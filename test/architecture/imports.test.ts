/**
 * The boundaries the build enforces, over every import of src/: no cycle between files, no
 * import around another domain's index.ts, no dependency pointing the wrong way. Each rule
 * is first shown to fire on a small crafted graph, so a green run means something.
 */
import { describe, expect, it } from 'vitest';
import {
  describeViolation,
  domainOf,
  findCycles,
  findIndexBypasses,
  findWrongWayEdges,
  importedNames,
  listSources,
  readImportGraph,
  type DomainTable,
  type ImportEdge,
  type ImportGraph,
} from './import-graph.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * Domains: the product's parts, each with an index.ts that lists what it offers. Support
 * folders are not domains: testkit (real daemons, trackers and feed servers for tests; it has an
 * index because tests and benchmarks share it), bench and demo (entry points that nothing
 * imports, so they need no index). sim is a domain: `smartnode simulate` ships it.
 */
const DOMAINS = [
  'shared',
  'policy',
  'daemon',
  'swarm',
  'feeds',
  'integrity',
  'plan',
  'publish',
  'agent',
  'status',
  'control',
  'ui',
  'setup',
  'sim',
  'metrics',
  'notify',
  'cli',
  'testkit',
] as const;
const SUPPORT = ['testkit', 'bench', 'demo'] as const;

/**
 * What control, status and ui may know of the agent: its events and the views they carry,
 * as types. Status and control also read a tick's result (the mirror view is built from it);
 * control's commands land in agent state, which it is handed.
 */
const AGENT_EVENT_TYPES = [
  'AgentEvent',
  'AgentEventListener',
  'EventBus',
  'MirrorView',
  'OwnedTorrentView',
  'CandidateView',
  'ReasonView',
  'PopulationSummary',
  'FeedHealthView',
];

/**
 * The allowed edges, bottom to top (the project's layering: cli -> agent -> {feeds, swarm, daemon, plan,
 * policy}; ui and control know only the agent's event and status types; nothing imports cli or
 * ui). A domain imports only what its row lists; everything may import shared. The support
 * folders consume and are consumed by no product code: only tests, benchmarks and the demo
 * import testkit, and only the demo (a second front end) and benchmarks import cli.
 */
const ALLOWED: DomainTable = {
  shared: { imports: [] },
  policy: { imports: ['shared'] },
  daemon: { imports: ['shared'] },
  swarm: { imports: ['shared', 'daemon'] },
  feeds: { imports: ['shared', 'swarm'] },
  integrity: { imports: ['shared', 'feeds'] },
  plan: { imports: ['shared', 'swarm'] },
  publish: { imports: ['shared', 'daemon', 'feeds', 'integrity'] },
  agent: { imports: ['shared', 'policy', 'daemon', 'swarm', 'feeds', 'integrity', 'plan', 'publish'] },
  status: {
    imports: ['shared', 'daemon', 'integrity', 'plan', 'agent'],
    only: { agent: { names: [...AGENT_EVENT_TYPES, 'TickResult'], typesOnly: true } },
  },
  control: {
    imports: ['shared', 'status', 'agent'],
    only: { agent: { names: [...AGENT_EVENT_TYPES, 'TickResult', 'AgentStateStore'], typesOnly: true } },
  },
  ui: {
    imports: ['shared', 'integrity', 'plan', 'status', 'control', 'agent'],
    only: { agent: { names: AGENT_EVENT_TYPES, typesOnly: true } },
  },
  setup: { imports: ['shared', 'policy', 'daemon', 'feeds', 'control'] },
  sim: { imports: ['shared', 'policy', 'feeds', 'plan', 'agent'] },
  // Subscribers of the event bus, like status: they know the agent's events as types only.
  metrics: { imports: ['shared', 'agent'], only: { agent: { names: AGENT_EVENT_TYPES, typesOnly: true } } },
  notify: {
    imports: ['shared', 'policy', 'agent'],
    only: {
      agent: { names: AGENT_EVENT_TYPES, typesOnly: true },
      policy: { names: ['WebhookTarget', 'NotifyEventName'], typesOnly: true },
    },
  },
  // The top: every product domain (not the test kit).
  cli: { imports: DOMAINS.filter((d) => d !== 'cli' && d !== 'testkit') },
  testkit: { imports: ['shared', 'swarm', 'daemon', 'feeds', 'policy'] },
  // Entry points: a benchmark may run anything (the simulator's takes the CLI's policy-to-config
  // mapping, so it decides with what `smartnode simulate` uses); the demo is a second front end.
  bench: { imports: [...DOMAINS] },
  demo: { imports: [...DOMAINS] },
};

/**
 * Test files keep their domain's row and may also use the test kit, and build the real parts
 * their subject is handed (a control test starts a real event bus and agent state).
 */
const ALLOWED_IN_TESTS: DomainTable = Object.fromEntries(
  Object.entries(ALLOWED).map(([domain, rule]) => [domain, { imports: [...rule.imports, 'testkit'] }]),
);

function isTestFile(file: string): boolean {
  return /\.test\.tsx?$/.test(file);
}

/**
 * A domain's second face: testing.ts holds its builders and fakes for tests. It never ships
 * (package.json leaves dist/**\/testing.* out), so index.ts cannot re-export it; test files,
 * other testing.ts files and the support folders may import it directly.
 */
function mayUseTestingFace(file: string): boolean {
  const domain = domainOf(file);
  return isTestFile(file) || file.endsWith('/testing.ts') || (domain !== null && (SUPPORT as readonly string[]).includes(domain));
}

function withoutTestingFaces(graph: ImportGraph): ImportGraph {
  return {
    files: graph.files,
    edges: graph.edges.filter((e) => !(e.to.endsWith('/testing.ts') && domainOf(e.from) !== domainOf(e.to) && mayUseTestingFace(e.from))),
  };
}

const graph = readImportGraph(ROOT, listSources(ROOT, 'src'));

describe('the import graph of src/', () => {
  it('is read: every domain has an index.ts, and there are imports to judge', () => {
    const missing = DOMAINS.filter((d) => !graph.files.includes(`src/${d}/index.ts`));
    expect(missing, 'domains without an index.ts').toEqual([]);
    const folders = new Set(graph.files.map((f) => domainOf(f)).filter((d) => d !== null));
    const unknown = [...folders].filter((f) => !(DOMAINS as readonly string[]).includes(f) && !(SUPPORT as readonly string[]).includes(f));
    expect(unknown, 'folders under src/ that are neither a domain nor a support folder').toEqual([]);
    expect(graph.edges.length).toBeGreaterThan(500);
  });

  it('has no cycle between files', () => {
    const cycles = findCycles(graph).map((c) => c.join(' -> '));
    expect(cycles, `files that import each other in a loop:\n${cycles.join('\n')}`).toEqual([]);
  });

  it('enters another domain only through its index.ts (or, from tests, its testing.ts)', () => {
    const found = findIndexBypasses(withoutTestingFaces(graph), new Set(DOMAINS)).map(describeViolation);
    expect(found, `imports around a domain's index:\n${found.join('\n')}`).toEqual([]);
  });

  it('uses testing.ts faces only from tests and support folders', () => {
    const found = graph.edges
      .filter((e) => e.to.endsWith('/testing.ts') && domainOf(e.from) !== domainOf(e.to) && !mayUseTestingFace(e.from))
      .map((e) => `${e.from}:${e.line} -> ${e.to}: product code may not import test builders (they do not ship)`);
    expect(found).toEqual([]);
  });

  it('points every dependency the allowed way', () => {
    const found = [false, true].flatMap((tests) => {
      const part: ImportGraph = { files: graph.files, edges: graph.edges.filter((e) => isTestFile(e.from) === tests) };
      return findWrongWayEdges(part, tests ? ALLOWED_IN_TESTS : ALLOWED, (e) => importedNames(ROOT, e)).map(describeViolation);
    });
    expect(found, `dependencies pointing the wrong way:\n${found.join('\n')}`).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Each rule fires on a crafted bad graph.

function edge(from: string, to: string, typeOnly = false): ImportEdge {
  return { from, to, line: 1, typeOnly };
}

function crafted(...edges: ImportEdge[]): ImportGraph {
  return { files: [...new Set(edges.flatMap((e) => [e.from, e.to]))], edges };
}

describe('the rules', () => {
  it('find a cycle, also one closed by a type-only import, and name its files in order', () => {
    const cycles = findCycles(
      crafted(
        edge('src/agent/tick.ts', 'src/agent/observe.ts'),
        edge('src/agent/observe.ts', 'src/agent/apply.ts'),
        edge('src/agent/apply.ts', 'src/agent/tick.ts', true),
        edge('src/agent/tick.ts', 'src/plan/index.ts'),
      ),
    );
    expect(cycles).toEqual([['src/agent/apply.ts', 'src/agent/tick.ts', 'src/agent/observe.ts', 'src/agent/apply.ts']]);
    expect(findCycles(crafted(edge('src/a/x.ts', 'src/a/x.ts')))).toEqual([['src/a/x.ts', 'src/a/x.ts']]);
    expect(findCycles(crafted(edge('src/a/x.ts', 'src/a/y.ts'), edge('src/b/z.ts', 'src/a/y.ts')))).toEqual([]);
  });

  it('find an import around an index, into a folder with no index, and through its own index', () => {
    const found = findIndexBypasses(
      crafted(
        edge('src/cli/run.ts', 'src/agent/loop.ts'),
        edge('src/cli/run.ts', 'src/agent/index.ts'),
        edge('src/cli/run.ts', 'src/bench/run.ts'),
        edge('src/agent/tick.ts', 'src/agent/index.ts'),
        edge('src/agent/tick.ts', 'src/agent/observe.ts'),
      ),
      new Set(['agent', 'cli']),
    ).map(describeViolation);
    expect(found).toEqual([
      'src/cli/run.ts:1 -> src/agent/loop.ts: goes around src/agent/index.ts: import it from there',
      'src/cli/run.ts:1 -> src/bench/run.ts: bench/ is not a domain with an index: nothing outside it may import it',
      "src/agent/tick.ts:1 -> src/agent/index.ts: imports its own domain's index: inside agent/ import the file itself",
    ]);
  });

  it('find an edge up the layers, an edge with no row, a value and a name the table does not allow', () => {
    const table: DomainTable = {
      plan: { imports: ['shared'] },
      agent: { imports: ['plan'] },
      ui: { imports: ['agent'], only: { agent: { names: ['AgentEvent'], typesOnly: true } } },
    };
    const names = new Map([
      ['src/ui/a.ts', ['AgentEvent']],
      ['src/ui/b.ts', ['AgentEvent']],
      ['src/ui/c.ts', ['AgentEvent', 'runTick']],
    ]);
    const found = findWrongWayEdges(
      crafted(
        edge('src/plan/select.ts', 'src/agent/index.ts', true),
        edge('src/setup/x.ts', 'src/plan/index.ts'),
        edge('src/ui/a.ts', 'src/agent/index.ts', true),
        edge('src/ui/b.ts', 'src/agent/index.ts', false),
        edge('src/ui/c.ts', 'src/agent/index.ts', true),
        edge('src/agent/tick.ts', 'src/plan/index.ts'),
      ),
      table,
      (e) => names.get(e.from) ?? [],
    ).map(describeViolation);
    expect(found).toEqual([
      'src/plan/select.ts:1 -> src/agent/index.ts: plan -> agent points the wrong way (plan may import: shared)',
      'src/setup/x.ts:1 -> src/plan/index.ts: setup/ has no row in the allowed-edges table',
      'src/ui/b.ts:1 -> src/agent/index.ts: ui may take only types from agent: use `import type`',
      'src/ui/c.ts:1 -> src/agent/index.ts: ui may take from agent only AgentEvent; not runTick',
    ]);
  });

  it('read the names an import takes, and whether it takes only types', () => {
    const fromUi = graph.edges.find((e) => e.from === 'src/ui/state.ts' && e.to === 'src/agent/index.ts');
    expect(fromUi?.typeOnly).toBe(true);
    expect(fromUi === undefined ? [] : importedNames(ROOT, fromUi)).toEqual([
      'AgentEvent',
      'CandidateView',
      'FeedHealthView',
      'OwnedTorrentView',
    ]);
    const fromCli = graph.edges.find((e) => e.from === 'src/cli/run.ts' && e.to === 'src/agent/index.ts');
    expect(fromCli?.typeOnly).toBe(false);
  });

  it('hold the layering: nothing imports cli or ui but the entry points, and shared imports nothing', () => {
    const importersOf = (target: string) =>
      Object.entries(ALLOWED)
        .filter(([, rule]) => rule.imports.includes(target))
        .map(([d]) => d);
    expect(importersOf('cli').sort()).toEqual(['bench', 'demo']);
    expect(importersOf('ui').sort()).toEqual(['bench', 'cli', 'demo']);
    expect(ALLOWED.shared?.imports).toEqual([]);
    expect(importersOf('testkit').sort()).toEqual(['bench', 'demo']);
  });
});
