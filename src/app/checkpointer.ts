/**
 * Group commit: `commit()` resolves once a save that STARTED after the call has finished. Calls that
 * arrive while a save runs (or waits) share the next one, so at most one save runs and one waits,
 * whatever the rate. After a save, the next one waits as long as the last one took, so saving never
 * takes more than about half the time however large the state grows; callers with work in flight
 * keep going meanwhile and share that save.
 */
export class Checkpointer {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private lastEndMs = Number.NEGATIVE_INFINITY;
  private lastTookMs = 0;

  constructor(
    private readonly save: () => Promise<void>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  commit(): Promise<void> {
    if (this.queued) return this.queued;
    const after = (this.running ?? Promise.resolve()).catch(() => undefined);
    this.queued = after.then(async () => {
      const wait = this.lastEndMs + this.lastTookMs - this.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 1_000)));
      this.queued = undefined;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<void> {
    const began = this.now();
    const run = this.save().finally(() => {
      this.lastEndMs = this.now();
      this.lastTookMs = this.lastEndMs - began;
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}
