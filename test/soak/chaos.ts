import { sandboxAdmin } from '../harness/clients';
import { Dice, SoakSettings } from './settings';

export interface ChaosLog {
  faultChanges: number;
  spikes: number;
  kills: Array<{ afterOrders: number; atMs: number; restartMs: number }>;
}

/**
 * The misbehaving world: the sandbox's fault dice on all the time (5xx, 429, timeouts just past the adapter's
 * own, answers dropped after the ledger committed, connection resets, late landings applied after the
 * adapter's timeout and grace period), periodic latency spikes that push calls past the adapter's timeout,
 * and SIGKILLs of the adapter at random moments of the run.
 */
export class Chaos {
  readonly log: ChaosLog = { faultChanges: 0, spikes: 0, kills: [] };
  private spikeTimer: NodeJS.Timeout | null = null;
  private spikeEnd: NodeJS.Timeout | null = null;
  private readonly killPoints: number[];
  private killing: Promise<void> | null = null;
  private readonly started = Date.now();
  private stopped = false;

  constructor(
    private readonly admin: ReturnType<typeof sandboxAdmin>,
    private readonly settings: SoakSettings,
    private readonly dice: Dice,
    private readonly restartAdapter: () => Promise<number>,
  ) {
    // Kill moments: after a random share (10%..90%) of the orders has finished.
    this.killPoints = Array.from({ length: settings.kills }, () => Math.max(1, Math.floor(settings.orders * (0.1 + 0.8 * dice.next())))).sort((a, b) => a - b);
  }

  faultSettings(spike: boolean) {
    const s = this.settings;
    return {
      ...s.faults,
      latencyMs: spike ? s.spikeLatencyMs : s.latencyMs,
      jitterMs: spike ? s.spikeJitterMs : s.jitterMs,
      // A timeout fault holds the call just past the adapter's own timeout: the adapter gives up first.
      hangMs: s.clutchTimeoutMs + 250,
      // A late call is applied after the adapter's timeout and its grace period: it lands after "not applied".
      lateMs: s.lateMs,
      seed: this.dice.int(0, 2 ** 32 - 1),
    };
  }

  async start(): Promise<void> {
    await this.apply(false);
    this.spikeTimer = setInterval(() => {
      if (this.stopped) return;
      this.log.spikes += 1;
      void this.apply(true);
      this.spikeEnd = setTimeout(() => void (this.stopped ? undefined : this.apply(false)), this.settings.spikeMs);
    }, this.settings.spikeEveryMs);
  }

  /** Called as orders finish; kills and restarts the adapter when a kill point is passed (one at a time). */
  onOrderDone(done: number): void {
    if (this.killing || this.killPoints.length === 0 || done < this.killPoints[0]) return;
    this.killPoints.shift();
    const atMs = Date.now() - this.started;
    this.killing = this.restartAdapter()
      .then((restartMs) => void this.log.kills.push({ afterOrders: done, atMs, restartMs }))
      .finally(() => (this.killing = null));
  }

  /** Kill points not reached yet (a short run): done now, so that every run has its kills. */
  async finishKills(done: number): Promise<void> {
    while (this.killing || this.killPoints.length > 0) {
      if (this.killing) await this.killing;
      else this.onOrderDone(Math.max(done, this.killPoints[0]));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.spikeTimer) clearInterval(this.spikeTimer);
    if (this.spikeEnd) clearTimeout(this.spikeEnd);
    if (this.killing) await this.killing;
    await this.admin.clearFaults();
  }

  private async apply(spike: boolean): Promise<void> {
    try {
      await this.admin.setFaults(this.faultSettings(spike));
      this.log.faultChanges += 1;
    } catch (error) {
      console.error(`soak: could not set faults: ${(error as Error).message}`);
    }
  }
}
