import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CronSchedule } from '../settlement-job/cron-schedule';
import { RecoverySweep } from './recovery-sweep.service';
import { RecoverySettings } from './recovery.settings';

/** Runs the sweep on RECOVERY_CRON unless RECOVERY_ENABLED=false (POST /v1/recovery-runs still works). */
@Injectable()
export class RecoveryScheduler implements OnApplicationBootstrap {
  constructor(
    private readonly schedule: CronSchedule,
    private readonly sweep: RecoverySweep,
    private readonly settings: RecoverySettings,
  ) {}

  onApplicationBootstrap(): void {
    if (this.settings.enabled) this.schedule.add('recovery-sweep', this.settings.cron, () => this.sweep.tick());
  }
}
