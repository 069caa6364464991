import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { freshIntegrityRecord, toIntegrityView } from '../integrity/index.js';
import { formatStatusText } from '../status/index.js';
import { T0_MS, aMirrorView, aStatus, anOwnedView } from '../status/testing.js';
import { Detail } from './components/detail.js';

const DAY = 86_400_000;
const integrity = toIntegrityView({
  ...freshIntegrityRecord(),
  completedAtMs: T0_MS - 30 * DAY,
  lastVerifiedAtMs: T0_MS - 3 * DAY,
  repairing: true,
  last: {
    atMs: T0_MS - 3 * DAY,
    code: 'BAD_PIECES',
    text: 'verify found 32768 of 1000000 bytes bad or missing; the daemon downloads them again',
  },
});

describe('integrity in status and the dashboard detail view', () => {
  it('status prints when each owned torrent was last verified and what was found', () => {
    const owned = [anOwnedView(1, { integrity }), anOwnedView(2)];
    const text = formatStatusText(aStatus({ mirror: aMirrorView({}, { owned }) }), { nowMs: T0_MS });
    expect(text).toMatch(/integrity: last verified 3d\S* ago, repair under way; BAD_PIECES: verify found 32768 of 1000000 bytes/);
    expect(text.match(/integrity:/g)).toHaveLength(1);
  });

  it('the detail view of an owned torrent shows it too', () => {
    const { lastFrame, unmount } = render(
      <Detail target={{ kind: 'owned', row: anOwnedView(1, { integrity }) }} pinned={false} nowMs={T0_MS} width={120} height={20} />,
    );
    expect(lastFrame()).toMatch(/integrity: last verified 3d\S* ago, repair under way; BAD_PIECES/);
    unmount();
    const fresh = render(<Detail target={{ kind: 'owned', row: anOwnedView(2) }} pinned={false} nowMs={T0_MS} width={120} height={20} />);
    expect(fresh.lastFrame()).toContain('integrity: not checked yet');
    fresh.unmount();
  });
});
