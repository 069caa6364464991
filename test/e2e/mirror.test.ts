import { describeMirror } from './mirror-suite.js';

describeMirror({
  volunteer: { client: 'transmission', line: 'bookworm' },
  networkSlot: 31,
  name: 'transmission-daemon 3.00 (Debian 12)',
  protocol: 'legacy',
});
