import { describeBandwidthShare } from './bandwidth-share-suite.js';

describeBandwidthShare({ line: 'sid', networkSlot: 171, name: 'transmission-daemon 4.1.x', path: 'group' });
