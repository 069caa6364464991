/**
 * Waiting that a stop cuts short. Work queued behind others (a .torrent file waiting for its
 * host's turn) may settle long after the stop; a stopping agent does not wait for it.
 */

/** Resolves when `work` settles (either way) or `stop` aborts, whichever comes first. */
export function settledOrStopped(work: Promise<unknown> | undefined, stop: AbortSignal | undefined): Promise<void> {
  const settled = (work ?? Promise.resolve()).then(
    () => undefined,
    () => undefined,
  );
  if (stop === undefined) return settled;
  if (stop.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      stop.removeEventListener('abort', done);
      resolve();
    };
    stop.addEventListener('abort', done, { once: true });
    void settled.then(done);
  });
}
