import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { IsAmount } from '../../common/money-validators';

export class CreateSettlementDto {
  @ApiProperty({ example: '2f6c1c1e-8f0a-4c55-9d0e-8f9a3b1e2d10', description: 'The authorization the OMS was given (a superseded one is followed to its advanced hold)' })
  @IsUUID()
  authorizationId: string;

  @ApiProperty({ example: '25.00', description: 'Value of the shipped goods, at most the held amount' })
  @IsAmount()
  amount: string;

  @ApiProperty({ example: 'INV-1' })
  @IsString() @IsNotEmpty() @MaxLength(100)
  invoiceId: string;

  @ApiPropertyOptional({ example: false, default: false, description: 'True when nothing more will ship: no advanced hold for the rest' })
  @IsOptional() @IsBoolean()
  final?: boolean;

  @ApiPropertyOptional({ example: 'sync', enum: ['sync', 'batch'], default: 'sync', description: 'batch: stored OPEN and settled by the scheduled job' })
  @IsOptional() @IsIn(['sync', 'batch'])
  mode?: 'sync' | 'batch';
}
