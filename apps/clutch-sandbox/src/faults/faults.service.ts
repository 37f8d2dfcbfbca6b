import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { SandboxConfig } from '../config/sandbox.config';
import { FaultDecision, FaultDice, FaultSettings, NO_FAULTS, parseFaultSettings } from './fault-dice';

const randomSeed = () => randomInt(0x7fffffff);

/** The fault configuration in force: from the environment at boot, then from `/_sandbox/faults`. */
@Injectable()
export class FaultsService {
  private dice: FaultDice;

  constructor(config: SandboxConfig) {
    this.dice = new FaultDice(
      parseFaultSettings(
        {
          latencyMs: config.SANDBOX_FAULT_LATENCY_MS,
          jitterMs: config.SANDBOX_FAULT_JITTER_MS,
          errorRate: config.SANDBOX_FAULT_ERROR_RATE,
          rateLimitRate: config.SANDBOX_FAULT_RATE_LIMIT_RATE,
          timeoutRate: config.SANDBOX_FAULT_TIMEOUT_RATE,
          dropRate: config.SANDBOX_FAULT_DROP_RATE,
          resetRate: config.SANDBOX_FAULT_RESET_RATE,
          applyThenErrorRate: config.SANDBOX_FAULT_APPLY_THEN_ERROR_RATE,
          lateRate: config.SANDBOX_FAULT_LATE_RATE,
          lateMs: config.SANDBOX_FAULT_LATE_MS,
          seed: config.SANDBOX_FAULT_SEED,
          hangMs: config.SANDBOX_FAULT_HANG_MS,
          methods: config.SANDBOX_FAULT_METHODS
            ? config.SANDBOX_FAULT_METHODS.split(',').map((m) => m.trim()).filter(Boolean)
            : null,
        },
        randomSeed,
      ),
    );
  }

  get settings(): FaultSettings {
    return this.dice.settings;
  }

  /** Replaces the whole configuration and restarts the dice from its seed. */
  configure(body: unknown): FaultSettings {
    this.dice = new FaultDice(parseFaultSettings(body, randomSeed));
    return this.dice.settings;
  }

  clear(): FaultSettings {
    this.dice = new FaultDice({ ...NO_FAULTS, seed: randomSeed() });
    return this.dice.settings;
  }

  roll(method: string): FaultDecision | null {
    return this.dice.roll(method);
  }
}
