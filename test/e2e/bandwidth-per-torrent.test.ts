import { describeBandwidthShare } from './bandwidth-share-suite.js';

describeBandwidthShare({ line: 'bookworm', networkSlot: 172, name: 'transmission-daemon 3.00', path: 'per-torrent' });
