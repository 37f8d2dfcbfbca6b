import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsAmount, IsCurrencyCode } from '../../common/money-validators';
import { FulfillmentKind } from '../gift-card-fulfillment.entity';

export class CreateFulfillmentDto {
  @ApiProperty({ example: 'ORD-10042', description: "The OMS's order id" })
  @IsString() @IsNotEmpty() @MaxLength(100)
  orderId: string;

  @ApiProperty({ example: '2', description: 'The gift card line of the order: one fulfillment per line' })
  @IsString() @IsNotEmpty() @MaxLength(100)
  lineId: string;

  @ApiProperty({ enum: ['ELECTRONIC', 'PHYSICAL'], description: 'ELECTRONIC: a new card is allocated; PHYSICAL: the shipped card is activated' })
  @IsIn(['ELECTRONIC', 'PHYSICAL'], { message: 'kind must be ELECTRONIC or PHYSICAL' })
  kind: FulfillmentKind;

  @ApiPropertyOptional({ example: 'egift', description: 'ELECTRONIC only: the card set to allocate from (default FULFILLMENT_CARD_SET_ID)' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(100)
  cardSetId?: string;

  @ApiPropertyOptional({ example: '6000000000000003', description: 'PHYSICAL only (required): the number of the shipped card' })
  @IsOptional() @IsString() @Matches(/^\d{12,19}$/, { message: 'cardNumber must be 12 to 19 digits' })
  cardNumber?: string;

  @ApiPropertyOptional({ example: '4321', description: 'PHYSICAL only: the shipped card\'s PIN, checked with the provider before activation; never stored' })
  @IsOptional() @IsString() @Matches(/^\d{3,8}$/, { message: 'pin must be 3 to 8 digits' })
  pin?: string;

  @ApiProperty({ example: '25.00', description: 'Value to issue onto the card, major units with the scale of the currency' })
  @IsAmount({ currencyField: 'currency' })
  amount: string;

  @ApiProperty({ example: 'USD' })
  @IsCurrencyCode()
  currency: string;
}
