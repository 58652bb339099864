/** Logs are JSON lines (pino) on stderr; on a TTY they are pretty-printed for people. */
import pino from 'pino';
import pretty from 'pino-pretty';

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  if (process.stderr.isTTY) {
    return pino({ level }, pretty({ destination: 2, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' }));
  }
  return pino({ level, base: { name: 'mcpload' } }, pino.destination({ fd: 2, sync: true }));
}
