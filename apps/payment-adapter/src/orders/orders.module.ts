import { Module } from '@nestjs/common';
import { PaymentsModule } from '../payments.module';
import { OrdersController } from './orders.controller';
import { OrderViewRepository, PgOrderViewRepository } from './order-view.repository';
import { OrdersService } from './orders.service';

/** `GET /v1/orders/{orderId}/payments`: a read of what the payments and refunds modules wrote. */
@Module({
  imports: [PaymentsModule],
  controllers: [OrdersController],
  providers: [{ provide: OrderViewRepository, useClass: PgOrderViewRepository }, OrdersService],
})
export class OrdersModule {}
