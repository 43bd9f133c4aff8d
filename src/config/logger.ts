import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

/** The token of the service's pino logger in Nest's container. */
export const LEDGER_LOGGER = Symbol('LEDGER_LOGGER');

/** Structured JSON logs. Personal data never goes into a log line: log ids and counts, not bodies. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'ledger' }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** Lets Nest write its own messages through pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
