import { Module } from '@nestjs/common';
import { PaymentsModule } from '../payments.module';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';

/** `GET /v1/orders/{orderId}/payments`: a read of what the payments and refunds modules wrote. */
@Module({
  imports: [PaymentsModule],
  controllers: [OrdersController],
  providers: [OrdersService],
})
export class OrdersModule {}
