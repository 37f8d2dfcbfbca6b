import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** What is waiting, counted for the gauges filled in when /metrics is scraped. */
export interface Backlog {
  /** Batch settlements still OPEN. */
  settlements: number;
  /** Provider calls whose outcome is not known yet (PENDING or UNKNOWN). */
  unresolvedCalls: number;
}

/** The backlog's counts (the Nest token; `PgBacklogRepository` holds the SQL). */
export abstract class BacklogRepository {
  /** Both counts, in one statement. */
  abstract counts(): Promise<Backlog>;
}

@Injectable()
export class PgBacklogRepository extends BacklogRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async counts(): Promise<Backlog> {
    const [row] = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM settlement WHERE status = 'OPEN' AND mode = 'batch') AS backlog,
              (SELECT count(*) FROM provider_call WHERE outcome IN ('PENDING', 'UNKNOWN')) AS unresolved`,
    );
    return { settlements: Number(row.backlog), unresolvedCalls: Number(row.unresolved) };
  }
}
