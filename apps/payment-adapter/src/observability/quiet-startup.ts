import { LoggerService } from '@nestjs/common';

/** Nest's own start-up chatter: one line per module and per route (about 55 lines), useful only when debugging. */
const STARTUP_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/**
 * A scheduled run that found nothing to do, every 30 to 60 seconds: its report line is noise at info (the counts
 * are in /metrics). Matched on the run's report line, so a run that did anything still logs at info; a changed
 * line format only makes idle runs visible again. (The settlement job also decides this itself.)
 */
const IDLE_RUNS: Record<string, RegExp> = {
  RecoverySweep: /^recovery sweep: checked=0 resolved=0 retried=0 gaveUp=0 /,
  SettlementJob: /^settlement run: claimed=0 settled=0 retried=0 failed=0 backlog=0 /,
};

/** True for a line that belongs at debug: Nest's start-up lines, and the report of an idle scheduled run. */
export function isQuietLine(message: unknown, context: unknown): boolean {
  if (typeof context !== 'string') return false;
  if (STARTUP_CONTEXTS.has(context)) return true;
  const idle = IDLE_RUNS[context];
  return idle !== undefined && typeof message === 'string' && idle.test(message);
}

/**
 * The application logger with Nest's start-up lines and idle scheduled runs moved to debug, so that `npm start`
 * shows its banner instead of a screen of "dependencies initialized" and "Mapped {...} route", and an idle
 * service stays quiet (LOG_LEVEL=debug shows them all).
 */
export function quietStartup(logger: LoggerService): LoggerService {
  return new Proxy(logger, {
    get(target, property, receiver) {
      if (property !== 'log') return Reflect.get(target, property, receiver);
      return (message: unknown, ...rest: unknown[]) => {
        if (target.debug && isQuietLine(message, rest[rest.length - 1])) return target.debug(message, ...rest);
        return target.log(message, ...rest);
      };
    },
  });
}
