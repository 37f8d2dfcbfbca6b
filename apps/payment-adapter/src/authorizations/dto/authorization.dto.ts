import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsAmount, IsCurrencyCode } from '../../common/money-validators';
import { PinPolicyApplies } from '../../common/validation';

/** Under PIN_POLICY=required (the default) `pin` is required. */
@PinPolicyApplies()
export class CreateAuthorizationDto {
  @ApiProperty({ example: 'ORD-10042', description: "The OMS's order id" })
  @IsString() @IsNotEmpty() @MaxLength(100)
  orderId: string;

  @ApiProperty({ example: '6000000000000001', description: 'Gift card number (stored encrypted; shown as last 4)' })
  @IsString() @Matches(/^\d{12,19}$/, { message: 'cardNumber must be 12 to 19 digits' })
  cardNumber: string;

  @ApiPropertyOptional({ example: '1234', description: 'Card PIN; required under PIN_POLICY=required (the default). Passed through, never stored' })
  @IsOptional() @IsString() @Matches(/^\d{3,8}$/, { message: 'pin must be 3 to 8 digits' })
  pin?: string;

  @ApiProperty({ example: '60.00', description: 'Amount to hold, in major units with the scale of the currency' })
  @IsAmount({ currencyField: 'currency' })
  amount: string;

  @ApiProperty({ example: 'USD' })
  @IsCurrencyCode()
  currency: string;

  @ApiPropertyOptional({ example: true, default: true, description: 'Hold what the card has when it is short' })
  @IsOptional() @IsBoolean()
  allowPartial?: boolean;
}

export class ReversalDto {
  @ApiProperty({ example: '0.00', description: 'Always zero: a reversal releases the whole hold' })
  @IsString() @Matches(/^\d{1,15}(\.\d{1,4})?$/, { message: 'amount must be a decimal string like "0.00"' })
  amount: string;
}
