/**
 * Group commit: `commit()` resolves once a save that STARTED after the call has finished. Calls that
 * arrive while a save runs share the next one, so at most one save runs and one waits, whatever the rate.
 */
export class Checkpointer {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly save: () => Promise<void>) {}

  commit(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    const after = this.running.catch(() => undefined);
    this.queued = after.then(() => {
      this.queued = undefined;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<void> {
    const run = this.save().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}
