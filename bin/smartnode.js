#!/usr/bin/env node
// Stop signals are held before anything slow loads: a SIGTERM during start-up stops the agent
// cleanly instead of killing it (src/cli/early-stop.ts).
import { holdStopSignals } from '../dist/cli/early-stop.js';

holdStopSignals();
const { main } = await import('../dist/cli/main.js');

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 70;
  },
);
