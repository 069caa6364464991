/**
 * Starts the whole control endpoint for a running agent: the status model and command
 * handler (agent-control.ts) behind the Unix socket (server.ts).
 */
import { createAgentControl, type AgentControl, type AgentControlOptions } from './agent-control.js';
import { startProgressPoll, type ProgressReading } from './progress.js';
import { startControlServer, type ControlServer } from './server.js';
import { controlSocketPath } from './socket-file.js';

export interface ControlEndpoint {
  readonly control: AgentControl;
  readonly server: ControlServer;
  close(): Promise<void>;
}

export async function startControlEndpoint(
  options: AgentControlOptions & {
    stateDir: string;
    /** The daemon's live numbers for the owned torrents; absent: the screens show each tick's. */
    readProgress?: () => Promise<ProgressReading>;
  },
): Promise<ControlEndpoint> {
  const control = createAgentControl(options);
  let server: ControlServer | undefined;
  const read = options.readProgress;
  const poll =
    read === undefined
      ? undefined
      : startProgressPoll({ bus: options.bus, clock: options.clock, read, isWatched: () => (server?.connections() ?? 0) > 0 });
  try {
    const started = await startControlServer({
      socketPath: controlSocketPath(options.stateDir),
      bus: options.bus,
      snapshot: () => control.snapshot(),
      runCommand: (command) => control.runCommand(command),
      ...(poll === undefined ? {} : { refresh: () => poll.refresh() }),
    });
    server = started;
    return {
      control,
      server: started,
      close: async () => {
        poll?.stop();
        await started.close();
        control.stop();
      },
    };
  } catch (error) {
    poll?.stop();
    control.stop();
    throw error;
  }
}
