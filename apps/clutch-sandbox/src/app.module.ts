import { loadConfig } from '@gcpa/config';
import { DatabaseModule } from '@gcpa/database';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { SandboxConfig } from './config/sandbox.config';
import { sandboxEntities } from './database/entities';
import { sandboxMigrations } from './database/migrations';
import { HealthModule } from './health/health.module';

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
    };
  }
}
