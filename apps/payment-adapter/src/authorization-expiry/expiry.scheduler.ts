import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CronSchedule } from '../settlement-job/cron-schedule';
import { ExpiryJob } from './expiry-job.service';
import { ExpirySettings } from './expiry.settings';

/** Runs the job on EXPIRY_CRON unless EXPIRY_JOB_ENABLED=false (POST /v1/expiry-runs still works). */
@Injectable()
export class ExpiryScheduler implements OnApplicationBootstrap {
  constructor(
    private readonly schedule: CronSchedule,
    private readonly job: ExpiryJob,
    private readonly settings: ExpirySettings,
  ) {}

  onApplicationBootstrap(): void {
    if (this.settings.enabled) this.schedule.add('expiry-job', this.settings.cron, () => this.job.tick());
  }
}
