/**
 * Starts the whole control endpoint for a running agent: the status model and command
 * handler (agent-control.ts) behind the Unix socket (server.ts).
 */
import { createAgentControl, type AgentControl, type AgentControlOptions } from './agent-control.js';
import { startControlServer, type ControlServer } from './server.js';
import { controlSocketPath } from './socket-file.js';

export interface ControlEndpoint {
  readonly control: AgentControl;
  readonly server: ControlServer;
  close(): Promise<void>;
}

export async function startControlEndpoint(options: AgentControlOptions & { stateDir: string }): Promise<ControlEndpoint> {
  const control = createAgentControl(options);
  try {
    const server = await startControlServer({
      socketPath: controlSocketPath(options.stateDir),
      bus: options.bus,
      snapshot: () => control.snapshot(),
      runCommand: (command) => control.runCommand(command),
    });
    return {
      control,
      server,
      close: async () => {
        await server.close();
        control.stop();
      },
    };
  } catch (error) {
    control.stop();
    throw error;
  }
}
