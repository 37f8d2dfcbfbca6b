import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { IsAmount, IsCurrencyCode } from '../../common/money-validators';

/**
 * At most one of `settlementId` and `cardNumber` (checked by the service, which names both fields); neither splits the
 * refund across the cards the order settled on.
 */
export class CreateRefundDto {
  @ApiProperty({ example: 'ORD-10042', description: "The OMS's order id" })
  @IsString() @IsNotEmpty() @MaxLength(100)
  orderId: string;

  @ApiPropertyOptional({
    example: '7d1e2f34-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
    description: 'Refund to the card a settlement of this order redeemed from; refunds of one settlement never exceed its settledAmount',
  })
  @IsOptional() @IsUUID()
  settlementId?: string;

  @ApiPropertyOptional({ example: '6000000000000002', description: 'Or: refund to this gift card directly (stored encrypted; shown as last 4)' })
  @IsOptional() @IsString() @Matches(/^\d{12,19}$/, { message: 'cardNumber must be 12 to 19 digits' })
  cardNumber?: string;

  @ApiProperty({ example: '10.00', description: 'Amount to issue back, in major units with the scale of the currency' })
  @IsAmount({ currencyField: 'currency' })
  amount: string;

  @ApiProperty({ example: 'USD', description: "The settlement's (or the card's) currency" })
  @IsCurrencyCode()
  currency: string;
}
