import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { BehaviourSettingsError, SandboxBehaviour } from '../behaviour/sandbox-behaviour';
import { FaultSettingsError } from '../faults/fault-dice';
import { FaultsService } from '../faults/faults.service';
import { checkLedger } from '../ledger/ledger-check';
import { invalidRequest } from '../protocol/clutch-error';
import { parseNewCard, parseNewCardSet } from './admin-requests';
import { AdminService } from './admin.service';

/** The sandbox's admin API (not part of Clutch, no authentication): cards, card sets, faults, behaviour, ledger check. */
@Controller('_sandbox')
export class AdminController {
  constructor(
    private readonly admin: AdminService,
    private readonly faults: FaultsService,
    private readonly behaviour: SandboxBehaviour,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  @Post('cards')
  createCard(@Body() body: unknown) {
    return this.admin.createCard(parseNewCard(body));
  }

  @Get('cards')
  async cards(@Query('demo') demo?: string) {
    return { cards: await this.admin.cards(demo === 'true' || demo === '1') };
  }

  @Get('cards/:cardNumber')
  card(@Param('cardNumber') cardNumber: string) {
    return this.admin.card(cardNumber);
  }

  @Post('card-sets')
  async createCardSet(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const { created, cardSet } = await this.admin.createCardSet(parseNewCardSet(body));
    reply.status(created ? 201 : 200);
    return cardSet;
  }

  @Get('ledger/check')
  checkLedger() {
    return checkLedger(this.dataSource);
  }

  @Get('faults')
  faultSettings() {
    return this.faults.settings;
  }

  @Put('faults')
  configureFaults(@Body() body: unknown) {
    try {
      return this.faults.configure(body);
    } catch (error) {
      if (error instanceof FaultSettingsError) throw invalidRequest(error.message);
      throw error;
    }
  }

  @Delete('faults')
  @HttpCode(200)
  clearFaults() {
    return this.faults.clear();
  }

  /** The sandbox's readings of Clutch's [unknown] behaviour (over-balance holds, hold lifetime, error codes...). */
  @Get('behaviour')
  behaviourSettings() {
    return this.behaviour.settings;
  }

  @Put('behaviour')
  configureBehaviour(@Body() body: unknown) {
    try {
      return this.behaviour.configure(body);
    } catch (error) {
      if (error instanceof BehaviourSettingsError) throw invalidRequest(error.message);
      throw error;
    }
  }

  @Delete('behaviour')
  @HttpCode(200)
  resetBehaviour() {
    return this.behaviour.reset();
  }
}
