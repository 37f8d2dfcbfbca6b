import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DatabaseSettings, dataSourceOptions, openDatabase } from './data-source-options';

/**
 * TypeORM wired for an app: the settings come from the app's typed configuration, the data source is
 * opened with its schema ensured and its migrations applied before anything else starts.
 */
@Module({})
export class DatabaseModule {
  static forRoot(options: {
    inject: any[];
    useFactory: (...deps: any[]) => DatabaseSettings;
    imports?: any[];
  }): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          imports: options.imports,
          inject: options.inject,
          useFactory: (...deps: unknown[]) => ({ ...dataSourceOptions(options.useFactory(...deps)), settings: options.useFactory(...deps) }),
          dataSourceFactory: async (resolved) => openDatabase((resolved as unknown as { settings: DatabaseSettings }).settings),
        }),
      ],
    };
  }
}
