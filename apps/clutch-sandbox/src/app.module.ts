import { loadConfig } from '@gcpa/config';
import { DatabaseModule } from '@gcpa/database';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { AdminController } from './admin/admin.controller';
import { AdminService } from './admin/admin.service';
import { SandboxBehaviour } from './behaviour/sandbox-behaviour';
import { SandboxConfig } from './config/sandbox.config';
import { sandboxEntities } from './database/entities';
import { sandboxMigrations } from './database/migrations';
import { FaultInterceptor } from './faults/fault.interceptor';
import { FaultsService } from './faults/faults.service';
import { HealthModule } from './health/health.module';
import { LedgerService } from './ledger/ledger.service';
import { ClutchAuthGuard } from './protocol/clutch-auth.guard';
import { ClutchExceptionFilter } from './protocol/clutch-exception.filter';
import { MerchantController } from './protocol/merchant.controller';

@Global()
@Module({})
class SandboxConfigModule {
  static forRoot(config: SandboxConfig): DynamicModule {
    return {
      module: SandboxConfigModule,
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, validate: (env) => loadConfig(SandboxConfig, env) })],
      providers: [{ provide: SandboxConfig, useValue: config }],
      exports: [SandboxConfig],
    };
  }
}

@Module({})
export class SandboxModule {
  static forRoot(config: SandboxConfig): DynamicModule {
    return {
      module: SandboxModule,
      imports: [
        SandboxConfigModule.forRoot(config),
        DatabaseModule.forRoot({
          inject: [SandboxConfig],
          useFactory: (c: SandboxConfig) => ({
            databaseUrl: c.DATABASE_URL,
            dataDir: c.DATA_DIR,
            schema: 'clutch_sandbox',
            poolSize: c.DB_POOL_SIZE,
            entities: sandboxEntities,
            migrations: sandboxMigrations,
          }),
        }),
        HealthModule,
      ],
      controllers: [MerchantController, AdminController],
      providers: [
        LedgerService,
        FaultsService,
        SandboxBehaviour,
        FaultInterceptor,
        ClutchAuthGuard,
        AdminService,
        { provide: APP_FILTER, useClass: ClutchExceptionFilter },
      ],
    };
  }
}
