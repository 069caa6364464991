import { describeMirror } from './mirror-suite.js';

describeMirror({
  volunteer: { client: 'qbittorrent', line: 'trixie' },
  networkSlot: 181,
  name: 'qbittorrent-nox 5.1.x (Debian 13), WebUI API v2',
  protocol: 'webui-v2',
});
