import { DatabaseModule } from '@gcpa/database';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { loadConfig } from '@gcpa/config';
import { AdapterConfig } from './config/adapter.config';
import { adapterEntities } from './database/entities';
import { adapterMigrations } from './database/migrations';
import { HealthModule } from './health/health.module';
import { ObservabilityModule } from './observability/observability.module';
import { PaymentsModule } from './payments.module';
import { ProviderModule } from './provider/provider.module';
import { ScheduleModule } from '@nestjs/schedule';
import { SettlementJobModule } from './settlement-job/settlement-job.module';
import { RecoveryModule } from './recovery/recovery.module';
import { ReconciliationModule } from './reconciliation/reconciliation.module';
import { ExpiryModule } from './authorization-expiry/expiry.module';
import { SecurityModule } from './security/security.module';
import { BalanceInquiriesModule } from './balance-inquiries/balance-inquiries.module';
import { RefundsModule } from './refunds/refunds.module';
import { OrdersModule } from './orders/orders.module';
import { FulfillmentsModule } from './fulfillments/fulfillments.module';
import { ConsoleModule } from './console/console.module';
import { IdempotencyRetentionModule } from './idempotency/idempotency-retention';
import { WebhooksModule } from './webhooks/webhooks.module';
import { UnitOfWorkModule } from './database/unit-of-work.module';

@Global()
@Module({})
class AdapterConfigModule {
  static forRoot(config: AdapterConfig): DynamicModule {
    return {
      module: AdapterConfigModule,
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, validate: (env) => loadConfig(AdapterConfig, env) })],
      providers: [{ provide: AdapterConfig, useValue: config }],
      exports: [AdapterConfig],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: AdapterConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AdapterConfigModule.forRoot(config),
        DatabaseModule.forRoot({
          inject: [AdapterConfig],
          useFactory: (c: AdapterConfig) => ({
            databaseUrl: c.DATABASE_URL,
            dataDir: c.DATA_DIR,
            schema: 'payment_adapter',
            poolSize: c.DB_POOL_SIZE,
            entities: adapterEntities,
            migrations: adapterMigrations,
          }),
        }),
        UnitOfWorkModule,
        ObservabilityModule,
        ProviderModule,
        SecurityModule,
        HealthModule,
        PaymentsModule,
        ScheduleModule.forRoot(), SettlementJobModule, RecoveryModule, ReconciliationModule, ExpiryModule,
        BalanceInquiriesModule, RefundsModule, OrdersModule,
        FulfillmentsModule,
        ConsoleModule,
        IdempotencyRetentionModule,
        WebhooksModule,
      ],
    };
  }
}
