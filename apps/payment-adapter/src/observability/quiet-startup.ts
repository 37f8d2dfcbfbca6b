import { LoggerService } from '@nestjs/common';

/** Nest's own start-up chatter: one line per module and per route (about 55 lines), useful only when debugging. */
const STARTUP_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/**
 * The application logger with Nest's start-up lines moved to debug, so that `npm start` shows its banner
 * instead of a screen of "dependencies initialized" and "Mapped {...} route" (LOG_LEVEL=debug shows them).
 */
export function quietStartup(logger: LoggerService): LoggerService {
  return new Proxy(logger, {
    get(target, property, receiver) {
      if (property !== 'log') return Reflect.get(target, property, receiver);
      return (message: unknown, ...rest: unknown[]) => {
        const context = rest[rest.length - 1];
        if (typeof context === 'string' && STARTUP_CONTEXTS.has(context) && target.debug) return target.debug(message, ...rest);
        return target.log(message, ...rest);
      };
    },
  });
}
