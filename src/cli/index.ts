/**
 * What another front end builds on besides `main`: the runtime a policy maps to, the log printer
 * and the interactive-terminal check. The demo is the one user; nothing in the product imports cli.
 */
export { forgetCiEnvironment } from './interactive.js';
export { createLogger, logAgentEvents } from './log.js';
export { buildRuntime, type Runtime } from './runtime.js';
export { defaultSimConfig, speedOf, type Speed } from './simulate.js';
