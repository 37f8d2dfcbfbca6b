import { UnitsOfWork } from '@gcpa/database';
import { Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AdapterConfig } from '../config/adapter.config';

/** What runs a request or a batch settlement as one unit of work; `disabled` (UNIT_OF_WORK=false) just runs it. */
export abstract class UnitOfWork {
  abstract run<T>(work: () => Promise<T>): Promise<T>;
}

const direct: UnitOfWork = { run: (work) => work() };

@Global()
@Module({
  providers: [
    {
      provide: UnitOfWork,
      inject: [DataSource, AdapterConfig],
      useFactory: (dataSource: DataSource, config: AdapterConfig): UnitOfWork => (config.UNIT_OF_WORK ? UnitsOfWork.install(dataSource) : direct),
    },
  ],
  exports: [UnitOfWork],
})
export class UnitOfWorkModule {}
