import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CronSchedule } from '../settlement-job/cron-schedule';
import { ReconciliationService } from './reconciliation.service';
import { ReconciliationSettings } from './reconciliation.settings';

/** Runs the job on RECONCILIATION_CRON unless RECONCILIATION_ENABLED=false (POST /v1/reconciliation-runs still works). */
@Injectable()
export class ReconciliationScheduler implements OnApplicationBootstrap {
  constructor(
    private readonly schedule: CronSchedule,
    private readonly reconciliation: ReconciliationService,
    private readonly settings: ReconciliationSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (this.settings.enabled) this.schedule.add('reconciliation', this.settings.cron, () => this.reconciliation.tick());
  }
}
