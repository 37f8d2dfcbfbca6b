import { Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ApiKeyGuard } from './auth/api-key.guard';
import { AuthorizationsController } from './authorizations/authorizations.controller';
import { AuthorizationsRepository, PgAuthorizationsRepository } from './authorizations/authorizations.repository';
import { AuthorizationsService } from './authorizations/authorizations.service';
import { ChainLock } from './authorizations/chain-lock';
import { LeaseFence } from './common/lease-fence';
import { RowLease } from './common/row-lease';
import { HoldsService } from './authorizations/holds.service';
import { CardVault } from './card-data/card-vault';
import { ChainRepairRepository } from './chain-repair/chain-repair.repository';
import { ChainRepair } from './chain-repair/chain-repair.service';
import { AdapterConfig } from './config/adapter.config';
import { HistoryService } from './history/history.service';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { idempotencyKeysProvider } from './idempotency/idempotency-keys.pg';
import { CardLease } from './provider-calls/card-lease';
import { PgProviderCallsRepository, ProviderCallsRepository } from './provider-calls/provider-calls.repository';
import { ProviderCallsService } from './provider-calls/provider-calls.service';
import { SettlementsController } from './settlements/settlements.controller';
import { SettlementsService } from './settlements/settlements.service';
import { SettlementReads } from './settlements/settlement-reads.service';
import { SettlementRecorder } from './settlements/settlement-recorder';
import { PgSettlementsRepository, SettlementsRepository } from './settlements/settlements.repository';
import { WebhookDeliveries } from './webhooks/webhook-deliveries.repository';
import { WebhookOutbox } from './webhooks/webhook-outbox';
import { WebhookSettings } from './webhooks/webhook.settings';

/** The OMS-facing payments API: authorizations, settlements, reversals, and what they share. */
@Module({
  controllers: [AuthorizationsController, SettlementsController],
  providers: [
    { provide: CardVault, inject: [AdapterConfig], useFactory: (c: AdapterConfig) => new CardVault(c.CARD_DATA_KEY) },
    { provide: 'UNKNOWN_OUTCOME_GRACE_MS', inject: [AdapterConfig], useFactory: (c: AdapterConfig) => c.UNKNOWN_OUTCOME_GRACE_MS },
    { provide: 'UNKNOWN_ISSUE_GRACE_MS', inject: [AdapterConfig], useFactory: (c: AdapterConfig) => Math.max(c.UNKNOWN_ISSUE_GRACE_MS, c.UNKNOWN_OUTCOME_GRACE_MS) },
    // A card's lease outlives the longest call it covers; a busy card is waited for about as long as one call takes.
    { provide: 'CARD_LEASE_MS', inject: [AdapterConfig], useFactory: (c: AdapterConfig) => c.CLUTCH_TIMEOUT_MS * 3 + 5000 },
    { provide: 'CARD_LEASE_WAIT_MS', inject: [AdapterConfig], useFactory: (c: AdapterConfig) => c.CLUTCH_TIMEOUT_MS * 2 + 1000 },
    { provide: 'ROW_LEASE_SECONDS', inject: [AdapterConfig], useFactory: (c: AdapterConfig) => c.ROW_LEASE_SECONDS },
    { provide: 'HOLD_TTL_MS', inject: [AdapterConfig], useFactory: (c: AdapterConfig) => c.HOLD_TTL_HOURS * 3600_000 },
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
    idempotencyKeysProvider,
    // The webhook outbox is written with the history (HistoryService), so it lives beside it.
    { provide: WebhookSettings, inject: [AdapterConfig], useFactory: WebhookSettings.from },
    WebhookDeliveries,
    WebhookOutbox,
    HistoryService,
    { provide: ProviderCallsRepository, useClass: PgProviderCallsRepository },
    ProviderCallsService,
    CardLease,
    RowLease,
    LeaseFence,
    ChainLock,
    { provide: AuthorizationsRepository, useClass: PgAuthorizationsRepository },
    HoldsService,
    { provide: SettlementsRepository, useClass: PgSettlementsRepository },
    SettlementRecorder,
    ChainRepairRepository,
    ChainRepair,
    SettlementsService,
    SettlementReads,
    AuthorizationsService,
  ],
  exports: ['ROW_LEASE_SECONDS', SettlementsService, ChainRepair, AuthorizationsService, ProviderCallsService, HoldsService, CardVault, HistoryService, ChainLock, RowLease, LeaseFence, CardLease, 'CARD_LEASE_WAIT_MS', WebhookSettings, WebhookDeliveries],
})
export class PaymentsModule {}
