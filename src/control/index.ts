/** The control endpoint: what `status` and the dashboard attach to. */
export { startControlEndpoint, type ControlEndpoint } from './endpoint.js';
export { createAgentControl, type AgentControl, type AgentControlOptions } from './agent-control.js';
export { startControlServer, type ControlServer, type ControlServerOptions } from './server.js';
export { connectControl, readAgentStatus, sendAgentCommand, type ControlConnection } from './client.js';
export { controlSocketPath, checkSocketFile, CONTROL_SOCKET_NAME } from './socket-file.js';
export { controlCommandSchema, type ControlCommand, type ControlCommandKind } from './protocol.js';
export { buildMirrorView, DEFAULT_CANDIDATE_LIMIT } from './mirror-view.js';
export {
  initialStatus,
  reduceStatus,
  DECISION_LOG_LIMIT,
  STATUS_PROTOCOL,
  type StatusSnapshot,
  type DecisionEntry,
  type FeedStatus,
  type PlanSummaryView,
  type AgentRunState,
  type DaemonLinkState,
  type BandwidthView,
  type Notice,
} from './status-model.js';
export { formatStatusText } from './status-text.js';
export { attachToAgent, type Attachment, type AttachOptions, type LinkEvent } from './attach.js';
