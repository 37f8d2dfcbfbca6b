import { LoggerService } from '@nestjs/common';
import { isQuietLine, quietStartup } from './quiet-startup';

describe('quietStartup', () => {
  const recorder = () => {
    const lines: Array<[string, unknown]> = [];
    const logger: LoggerService = {
      log: (message: unknown) => void lines.push(['info', message]),
      debug: (message: unknown) => void lines.push(['debug', message]),
      error: () => undefined,
      warn: () => undefined,
    };
    return { lines, logger: quietStartup(logger) };
  };

  it("moves Nest's start-up lines and idle scheduled runs to debug, and nothing else", () => {
    const { lines, logger } = recorder();
    logger.log('Mapped {/v1/authorizations, POST} route', 'RouterExplorer');
    logger.log('recovery sweep: checked=0 resolved=0 retried=0 gaveUp=0 unresolved=0 durationMs=12', 'RecoverySweep');
    logger.log('recovery sweep: checked=2 resolved=1 retried=1 gaveUp=0 unresolved=0 durationMs=40', 'RecoverySweep');
    logger.log('settlement run: claimed=0 settled=0 retried=0 failed=0 backlog=0 durationMs=5', 'SettlementJob');
    logger.log('settlement run: claimed=0 settled=0 retried=0 failed=0 backlog=3 durationMs=5', 'SettlementJob');
    logger.log('payment-adapter listening', 'Main');
    expect(lines.map(([level]) => level)).toEqual(['debug', 'debug', 'info', 'debug', 'info', 'info']);
  });

  it('leaves a line without a context alone', () => {
    expect(isQuietLine('recovery sweep: checked=0 resolved=0 retried=0 gaveUp=0 unresolved=0', undefined)).toBe(false);
  });
});
