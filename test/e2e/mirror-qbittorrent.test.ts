import { describeMirror } from './mirror-suite.js';

describeMirror({
  volunteer: { client: 'qbittorrent', line: 'bookworm' },
  networkSlot: 180,
  name: 'qbittorrent-nox 4.5.x (Debian 12), WebUI API v2',
  protocol: 'webui-v2',
});
