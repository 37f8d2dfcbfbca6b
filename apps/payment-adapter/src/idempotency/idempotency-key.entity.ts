import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('idempotency_key')
export class IdempotencyKeyRecord {
  /** The name of the API key that used it: every API key has its own namespace of idempotency keys. */
  @PrimaryColumn('text') scope: string;
  @PrimaryColumn('text') key: string;
  @Column('text') fingerprint: string;
  @Column('text') status: 'IN_PROGRESS' | 'COMPLETED';
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true }) lockedUntil: Date | null;
  @Column({ name: 'lease_owner', type: 'uuid', nullable: true }) leaseOwner: string | null;
  @Column({ name: 'response_status', type: 'integer', nullable: true }) responseStatus: number | null;
  @Column({ name: 'response_body', type: 'jsonb', nullable: true }) responseBody: unknown;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt: Date | null;
}
