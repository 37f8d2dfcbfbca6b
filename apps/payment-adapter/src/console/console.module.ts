import { Module } from '@nestjs/common';
import { ConsoleController } from './console.controller';

/** The operator console's page at /console (it works over the JSON API; see console-assets.ts). */
@Module({ controllers: [ConsoleController] })
export class ConsoleModule {}
