import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CronSchedule } from './cron-schedule';
import { SettlementJob } from './settlement-job.service';
import { SettlementJobSettings } from './settlement-job.settings';

/** Runs the job on SETTLEMENT_CRON unless SETTLEMENT_JOB_ENABLED=false (POST /v1/settlement-runs still works). */
@Injectable()
export class SettlementJobScheduler implements OnApplicationBootstrap {
  constructor(
    private readonly schedule: CronSchedule,
    private readonly job: SettlementJob,
    private readonly settings: SettlementJobSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (this.settings.enabled) this.schedule.add('settlement-job', this.settings.cron, () => this.job.tick());
  }
}
