import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** An operator's decision on a provider call whose outcome the adapter could not learn. */
export class CreateResolutionDto {
  @ApiProperty({ example: true, description: 'true: the call happened at the provider; false: it did not' })
  @IsBoolean()
  applied: boolean;

  @ApiProperty({ example: 'Clutch portal shows hold 8c1f… at 12:03 for 20.00 on this card', description: 'Why: kept in the payment history' })
  @IsString() @IsNotEmpty() @MaxLength(500)
  reason: string;

  @ApiPropertyOptional({
    example: 'hold_8c1f',
    description: "The provider's transaction (or hold) id of the call, when applied: one of the candidates, or what the provider's portal shows. Required for a HOLD",
  })
  @IsOptional() @IsString() @Matches(/^[\w.:-]{1,100}$/, { message: 'transactionId must be 1 to 100 letters, digits, or . _ : -' })
  transactionId?: string;
}
