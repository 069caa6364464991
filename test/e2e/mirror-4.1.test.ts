import { describeMirror } from './mirror-suite.js';

describeMirror({
  volunteer: { client: 'transmission', line: 'sid' },
  networkSlot: 170,
  name: 'transmission-daemon 4.1.x (Debian unstable), JSON-RPC 2.0',
  protocol: 'json-rpc',
});
