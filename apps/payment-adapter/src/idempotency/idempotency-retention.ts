import { Injectable, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { ScheduledRun } from '../common/scheduled-run';
import { AdapterConfig } from '../config/adapter.config';
import { CronSchedule } from '../settlement-job/cron-schedule';
import { IdempotencyKeys } from './idempotency-keys';
import { idempotencyKeysProvider } from './idempotency-keys.pg';

const BATCH = 1000;

/**
 * Idempotency keys are kept for `IDEMPOTENCY_RETENTION_DAYS` (an OMS retries for hours or days, not months),
 * then deleted by this job on `IDEMPOTENCY_PURGE_CRON`, a bounded batch at a time so that no statement holds
 * the table for long. The resources themselves (authorizations, settlements...) are never purged.
 */
@Injectable()
export class IdempotencyRetention implements OnApplicationBootstrap {
  private readonly logger = new Logger('IdempotencyRetention');
  private readonly scheduled = new ScheduledRun('idempotency purge', this.logger, () => this.purge());

  constructor(
    private readonly store: IdempotencyKeys,
    private readonly schedule: CronSchedule,
    private readonly config: AdapterConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule.add('idempotency-purge', this.config.IDEMPOTENCY_PURGE_CRON, () => this.scheduled.tick());
  }

  /** Deletes every key older than the retention; returns how many. */
  async purge(): Promise<number> {
    const retentionSeconds = this.config.IDEMPOTENCY_RETENTION_DAYS * 86400;
    let total = 0;
    for (;;) {
      const deleted = await this.store.purgeOlderThan(retentionSeconds, BATCH);
      total += deleted;
      if (deleted < BATCH) break;
    }
    if (total > 0) this.logger.log(`idempotency purge: deleted=${total} retentionDays=${this.config.IDEMPOTENCY_RETENTION_DAYS}`);
    return total;
  }
}

@Module({
  providers: [idempotencyKeysProvider, CronSchedule, IdempotencyRetention],
  exports: [IdempotencyRetention],
})
export class IdempotencyRetentionModule {}
