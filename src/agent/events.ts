/**
 * Everything the agent does is an event: the logs, `status`, and the dashboard are subscribers.
 * Events are plain JSON-safe data (they cross the control socket) and never carry secrets.
 */
import type { InfoHash } from '../shared/index.js';

export interface ReasonView {
  code: string;
  text: string;
}

export interface ErrorView {
  code: string;
  message: string;
  hint?: string;
  retryable: boolean;
}

export type AgentEvent =
  | { type: 'tick-started'; atMs: number; tick: number }
  | { type: 'tick-finished'; atMs: number; tick: number; durationMs: number; adds: number; removes: number; failed: number; dryRun: boolean }
  | { type: 'tick-failed'; atMs: number; tick: number; error: ErrorView; retryInMs: number }
  | { type: 'feed-fetched'; atMs: number; feedId: string; items: number; notModified: boolean; warnings: number }
  | { type: 'feed-failed'; atMs: number; feedId: string; error: ErrorView; keptItems: number }
  | { type: 'feed-item-dropped'; atMs: number; feedId: string; message: string }
  | { type: 'scrape-failed'; atMs: number; tracker: string; error: ErrorView }
  | { type: 'torrent-file-failed'; atMs: number; infoHash: InfoHash; name: string; error: ErrorView }
  | { type: 'planned'; atMs: number; candidates: number; desired: number; adds: number; removes: number; capacityBytes: number; committedBytes: number }
  | { type: 'action'; atMs: number; kind: 'add' | 'remove'; infoHash: InfoHash; name: string; sizeBytes: number; reason: ReasonView; dryRun: boolean }
  | { type: 'action-failed'; atMs: number; kind: 'add' | 'remove'; infoHash: InfoHash; name: string; error: ErrorView }
  | { type: 'ownership'; atMs: number; op: 'confirm' | 'forget' | 'adopt' | 'finish-remove' | 'relabel' | 'relocate'; infoHash: InfoHash; detail: string }
  | { type: 'daemon-connected'; atMs: number; version: string; rpcVersion: number }
  | { type: 'paused'; atMs: number; paused: boolean };

export type AgentEventListener = (event: AgentEvent) => void;

export interface EventBus {
  emit(event: AgentEvent): void;
  subscribe(listener: AgentEventListener): () => void;
}

export function createEventBus(): EventBus {
  const listeners = new Set<AgentEventListener>();
  return {
    emit(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch {
          // A broken subscriber (a closed socket, a UI bug) must never stop the agent.
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function toErrorView(error: unknown): ErrorView {
  if (typeof error === 'object' && error !== null && 'code' in error && 'retryable' in error) {
    const e = error as { code: unknown; message: unknown; hint?: unknown; retryable: unknown };
    return {
      code: String(e.code),
      message: String(e.message),
      ...(typeof e.hint === 'string' ? { hint: e.hint } : {}),
      retryable: e.retryable === true,
    };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error), retryable: false };
}
