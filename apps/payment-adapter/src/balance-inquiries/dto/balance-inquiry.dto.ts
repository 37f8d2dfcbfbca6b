import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsOptional, IsString, Matches, ValidateIf, ValidateNested } from 'class-validator';
import { IsAmount, IsCurrencyCode } from '../../common/money-validators';
import { PinPolicyApplies } from '../../common/validation';
import { MAX_CARDS_PER_INQUIRY } from '../balance-inquiry';

/** One card of a multi-card inquiry. */
export class InquiryCardDto {
  @ApiProperty({ example: '6000000000000001', description: 'Gift card number (never stored by a balance check; answered as last 4)' })
  @IsString() @Matches(/^\d{12,19}$/, { message: 'cardNumber must be 12 to 19 digits' })
  cardNumber: string;

  @ApiPropertyOptional({ example: '1234', description: 'Card PIN; required under PIN_POLICY=required (the default)' })
  @IsOptional() @IsString() @Matches(/^\d{3,8}$/, { message: 'pin must be 3 to 8 digits' })
  pin?: string;
}

/**
 * One card (`cardNumber`, `pin`) or several (`cards`, with `requestedAmount`): exactly one of the two forms, checked
 * by the service, which names both fields. Under PIN_POLICY=required (the default) every card needs its `pin`.
 */
@PinPolicyApplies()
export class BalanceInquiryDto {
  @ApiPropertyOptional({ example: '6000000000000001', description: 'Gift card number (never stored by a balance check; answered as last 4). Or `cards`' })
  @ValidateIf((o: BalanceInquiryDto) => o.cards === undefined || o.cardNumber !== undefined)
  @IsString() @Matches(/^\d{12,19}$/, { message: 'cardNumber must be 12 to 19 digits' })
  cardNumber?: string;

  @ApiPropertyOptional({ example: '1234', description: 'Card PIN; required under PIN_POLICY=required (the default). Checked by the provider, never stored' })
  @IsOptional() @IsString() @Matches(/^\d{3,8}$/, { message: 'pin must be 3 to 8 digits' })
  pin?: string;

  @ApiPropertyOptional({
    type: [InquiryCardDto],
    maxItems: MAX_CARDS_PER_INQUIRY,
    description:
      `Or: several cards (1 to ${MAX_CARDS_PER_INQUIRY}, each once), applied to requestedAmount in the order given, each for min(what is still needed, its available balance). ` +
      'Needs requestedAmount; the answer lists the cards in the same order',
  })
  @IsOptional() @IsArray() @ArrayNotEmpty() @ArrayMaxSize(MAX_CARDS_PER_INQUIRY)
  @ValidateNested({ each: true }) @Type(() => InquiryCardDto)
  cards?: InquiryCardDto[];

  @ApiProperty({ example: 'USD', description: "The order's currency; a card in another currency is declined (CURRENCY_MISMATCH)" })
  @IsCurrencyCode()
  currency: string;

  @ApiPropertyOptional({
    example: '60.00',
    description:
      'What the order would like to pay with the card(s); required with `cards`. Without it (one card), applicableAmount = availableBalance and remainingAmount = 0',
  })
  @ValidateIf((o: BalanceInquiryDto) => o.cards !== undefined || o.requestedAmount !== undefined)
  @IsAmount({ currencyField: 'currency' })
  requestedAmount?: string;
}
