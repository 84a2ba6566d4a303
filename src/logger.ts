import pino from 'pino';

/** One JSON-lines logger per process; `name` says which process wrote the line. */
export function createLogger(name: string, level = 'info') {
  return pino({ name, level });
}
export type Logger = ReturnType<typeof createLogger>;
