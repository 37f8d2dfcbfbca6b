import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { IsAmount, IsCurrencyCode } from '../../common/money-validators';
import { PinPolicyApplies } from '../../common/validation';

/** Under PIN_POLICY=required (the default) `pin` is required. */
@PinPolicyApplies()
export class BalanceInquiryDto {
  @ApiProperty({ example: '6000000000000001', description: 'Gift card number (never stored by a balance check; answered as last 4)' })
  @IsString() @Matches(/^\d{12,19}$/, { message: 'cardNumber must be 12 to 19 digits' })
  cardNumber: string;

  @ApiPropertyOptional({ example: '1234', description: 'Card PIN; required under PIN_POLICY=required (the default). Checked by the provider, never stored' })
  @IsOptional() @IsString() @Matches(/^\d{3,8}$/, { message: 'pin must be 3 to 8 digits' })
  pin?: string;

  @ApiProperty({ example: 'USD', description: "The order's currency; a card in another currency is declined (CURRENCY_MISMATCH)" })
  @IsCurrencyCode()
  currency: string;

  @ApiPropertyOptional({
    example: '60.00',
    description: 'What the order would like to pay with this card. Without it, applicableAmount = availableBalance and remainingAmount = 0',
  })
  @IsOptional() @IsAmount({ currencyField: 'currency' })
  requestedAmount?: string;
}
