import { Logger } from '@nestjs/common';

/**
 * A scheduled run that never overlaps itself in one instance: a cron tick while the previous run is still
 * going is skipped, and a failed run is logged instead of crashing the scheduler.
 */
export class ScheduledRun<T> {
  private running: Promise<T> | null = null;

  constructor(
    private readonly name: string,
    private readonly logger: Logger,
    private readonly run: () => Promise<T>,
  ) {}

  async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.run();
    try {
      await this.running;
    } catch (error) {
      this.logger.error(`${this.name} failed: ${(error as Error).message}`);
    } finally {
      this.running = null;
    }
  }
}
