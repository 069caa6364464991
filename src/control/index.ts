/**
 * The control endpoint: the Unix socket a running agent listens on, and the client that `status`
 * and the dashboard attach with. The status model they exchange is the status domain's.
 */
export { startControlEndpoint, type ControlEndpoint } from './endpoint.js';
export { createAgentControl, type AgentControl, type AgentControlOptions } from './agent-control.js';
export { startControlServer, type ControlServer, type ControlServerOptions } from './server.js';
export { connectControl, readAgentStatus, sendAgentCommand, type ControlConnection } from './client.js';
export { controlSocketPath, checkSocketFile, CONTROL_SOCKET_NAME } from './socket-file.js';
export { controlCommandSchema, type ControlCommand, type ControlCommandKind } from './protocol.js';
export { attachToAgent, type Attachment, type AttachOptions, type LinkEvent } from './attach.js';
export { startProgressPoll, type ProgressPoll, type ProgressReading } from './progress.js';
