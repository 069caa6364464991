/** The Ink dashboard: a pure reducer over agent events, props-only components, one subscribing hook. */
export { runDashboard, useAgentDashboard, type RunDashboardOptions } from './dashboard.js';
export { Dashboard, type DashboardProps } from './components/app.js';
export { FOOTER_KEYS } from './components/footer.js';
export { feedRowText } from './components/tables.js';
export {
  initialDashboard,
  reduceDashboard,
  interpretKey,
  selectRows,
  selectedTorrent,
  VIEWS,
  type DashboardState,
  type DashboardAction,
  type Intent,
  type KeyOutcome,
  type ViewName,
} from './state.js';
