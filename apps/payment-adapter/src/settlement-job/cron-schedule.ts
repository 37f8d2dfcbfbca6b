import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';

/**
 * Registers jobs whose cron expression comes from configuration (a `@Cron()` decorator takes a constant).
 * Jobs start once the application is up and stop with it.
 */
@Injectable()
export class CronSchedule implements OnApplicationShutdown {
  private readonly names: string[] = [];

  constructor(private readonly registry: SchedulerRegistry) {}

  add(name: string, cronTime: string, tick: () => Promise<void>): void {
    const logger = new Logger(name);
    const job = CronJob.from({
      cronTime,
      onTick: tick,
      start: false,
      waitForCompletion: true,
      errorHandler: (error) => logger.error(`${name} tick failed: ${(error as Error)?.message ?? error}`),
    });
    this.registry.addCronJob(name, job);
    this.names.push(name);
    job.start();
  }

  onApplicationShutdown(): void {
    for (const name of this.names.splice(0)) {
      if (this.registry.doesExist('cron', name)) this.registry.deleteCronJob(name);
    }
  }
}
