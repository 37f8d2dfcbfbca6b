import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateNested } from 'class-validator';
import { IsAmount, IsCurrencyCode } from '../../common/money-validators';

/** A refund to a new electronic card, taken from a card set. */
export class NewCardDto {
  @ApiPropertyOptional({ example: 'egift', description: 'The card set to take the card from (default FULFILLMENT_CARD_SET_ID, as for fulfillments)' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(100)
  cardSetId?: string;
}

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

  @ApiPropertyOptional({
    type: NewCardDto,
    example: {},
    description:
      'Or: refund to a new electronic card (allocated, activated and loaded with the refund, return-related); not with settlementId or cardNumber. ' +
      "The answer's newCard shows its number and PIN in full once",
  })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => NewCardDto)
  toNewCard?: NewCardDto;

  @ApiProperty({ example: '10.00', description: 'Amount to issue back, in major units with the scale of the currency' })
  @IsAmount({ currencyField: 'currency' })
  amount: string;

  @ApiProperty({ example: 'USD', description: "The settlement's (or the card's) currency" })
  @IsCurrencyCode()
  currency: string;
}
