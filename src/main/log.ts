/**
 * Logs: pino, on stderr. Piped (a file, CI, a log shipper) each line is JSON with the level as a name
 * (`"level":"warn"`, not pino's 40); on a TTY lines are pretty-printed for people. Every line goes
 * through `write`, so the live view can print it above its status line instead of into it.
 *
 * RunLog turns the run's figures into the lines worth reading while it runs: when the engines start,
 * stage changes, all sessions open, sessions falling away, reconnect storms, sending stopped, the drain
 * (info and warn), and each engine's interval at debug.
 */
import pino from 'pino';
import { formatSeconds, stageAt } from './progress.js';
import { plannedClients, plannedRate } from '../config/stages.js';
import type { RunOptions } from '../config/types.js';
import type { EngineSnapshot } from '../shared/messages.js';
import type { Aggregate } from './aggregate.js';

export type Logger = pino.Logger;
export type LogWrite = (text: string) => void;

const toStderr: LogWrite = (text) => void process.stderr.write(text);

/** `pretty`: human lines (default: stderr is a TTY); else JSON lines with level names. */
export async function createLogger(level: string, write: LogWrite = toStderr, pretty = process.stderr.isTTY === true): Promise<Logger> {
  if (pretty) {
    // Loaded only for a terminal: piped runs never pay for it.
    const { prettyFactory } = await import('pino-pretty');
    const format = prettyFactory({ ignore: 'pid,hostname', translateTime: 'HH:MM:ss', colorize: true });
    return pino({ level }, { write: (line: string) => write(format(line)) });
  }
  return pino(
    { level, base: { name: 'mcpload' }, formatters: { level: (label) => ({ level: label }) }, timestamp: pino.stdTimeFunctions.isoTime },
    { write: (line: string) => write(line) },
  );
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** Reconnects in one interval that make a storm: this share of the sessions wanted, and at least MIN_STORM. */
const STORM_SHARE = 0.1;
const MIN_STORM = 5;
/** While a storm lasts it is logged again at most this often (intervals). */
const STORM_REPEAT_INTERVALS = 10;
/** Open sessions falling by this share of those wanted within one interval is worth a line. */
const FALL_SHARE = 0.1;

export class RunLog {
  private startAtMs = 0;
  private stage = 0;
  private allOpenLogged = false;
  private reconnects = 0;
  private established = 0;
  private open = 0;
  private wanted = 0;
  private stormSince = -1;
  private stormLoggedAt = -Infinity;
  private stopLogged = false;
  private limited = false;

  constructor(
    private readonly log: Logger,
    private readonly opts: RunOptions,
  ) {}

  started(startAtMs: number, engines: number): void {
    this.startAtMs = startAtMs;
    const warmup = this.opts.warmupMs ? `; warm-up for ${this.opts.warmupMs / 1000}s, then measuring` : '';
    this.log.info(`${engines} engine${engines === 1 ? '' : 's'} started; sessions connect now${warmup}`);
    if (this.opts.profile.stages.length) this.logStage(0);
  }

  /** Each engine's figures for one interval (debug only: costs nothing otherwise). */
  snapshot(s: EngineSnapshot): void {
    if (!this.log.isLevelEnabled('debug')) return;
    let sent = 0;
    for (const d of Object.values(s.methods)) sent += d.sent;
    const errors = s.errors.reduce((a, b) => a + b, 0);
    this.log.debug(
      `engine ${s.engineId} ${s.final ? 'final' : `interval ${s.interval}`}: sessions ${s.sessionsOpen}/${s.sessionsWanted} (${s.sessionsConnecting} connecting), ` +
        `+${s.sessionsEstablished} established, +${s.reconnects} reconnects, ${sent} sent, ${errors} errors, ${s.inFlight} in flight, ` +
        `loop ${Math.round(s.loopUtilization * 100)}% busy, lag ${s.loopLagMs.toFixed(1)}ms`,
    );
  }

  /** Interval `k` is complete across all engines. */
  interval(k: number, agg: Aggregate): void {
    const g = agg.gauges();
    const atS = k + 1;
    const newReconnects = agg.reconnects - this.reconnects;
    const newEstablished = agg.sessionsEstablished - this.established;
    this.reconnects = agg.reconnects;
    this.established = agg.sessionsEstablished;
    if (newEstablished > 0)
      this.log.debug(`${int(newEstablished)} sessions established in second ${atS} (${int(g.sessionsOpen)} open of ${int(g.sessionsWanted)} wanted)`);
    const stage = stageAt(this.opts.profile.stages, atS * 1000);
    if (this.opts.profile.stages.length && stage !== this.stage) this.logStage(stage);
    if (!this.allOpenLogged && g.sessionsWanted > 0 && g.sessionsOpen >= g.sessionsWanted) {
      this.allOpenLogged = true;
      const s = agg.firstEstablishedAtMs && this.startAtMs ? ` after ${formatSeconds(atS)}` : '';
      this.log.info(`all ${int(g.sessionsWanted)} sessions open${s}`);
    }
    const storm = newReconnects >= Math.max(MIN_STORM, STORM_SHARE * g.sessionsWanted);
    if (storm) {
      if (this.stormSince < 0) this.stormSince = atS;
      if (k - this.stormLoggedAt >= STORM_REPEAT_INTERVALS) {
        this.stormLoggedAt = k;
        this.log.warn(
          `reconnect storm: ${int(newReconnects)} reconnects in second ${atS}${this.stormSince < atS ? ` (since second ${this.stormSince})` : ''}, ${int(g.sessionsOpen)}/${int(g.sessionsWanted)} sessions open`,
        );
      }
    } else if (this.stormSince >= 0) {
      this.log.info(`reconnects calmed down in second ${atS} (storm since second ${this.stormSince})`);
      this.stormSince = -1;
      this.stormLoggedAt = -Infinity;
    }
    // Beyond what the stages took away: a ramp down is no news.
    const fell = this.open - g.sessionsOpen - Math.max(0, this.wanted - g.sessionsWanted);
    if (fell > 0 && fell >= Math.max(1, FALL_SHARE * g.sessionsWanted)) {
      this.log.warn(`open sessions fell from ${int(this.open)} to ${int(g.sessionsOpen)} in second ${atS} (${int(g.sessionsWanted)} wanted)`);
      this.allOpenLogged = false;
    }
    this.open = g.sessionsOpen;
    this.wanted = g.sessionsWanted;
    if (g.generatorLimited && !this.limited)
      this.log.warn(
        `generator-limited in second ${atS}: an engine is ${Math.round(g.loopUtilization * 100)}% busy and sends late, so the load is below the plan (add --workers or --processes, or a machine)`,
      );
    this.limited = g.generatorLimited;
    if (!this.stopLogged && agg.sendingStoppedAtMs > 0) this.stopped();
  }

  /** Sending stopped: the drain waits for what is in flight. */
  stopped(): void {
    if (this.stopLogged) return;
    this.stopLogged = true;
    this.log.info(`sending stopped; waiting up to ${formatSeconds((this.opts.drainMs ?? 0) / 1000)} for requests in flight`);
  }

  finished(agg: Aggregate, elapsedMs: number): void {
    this.log.info(
      `run finished after ${(elapsedMs / 1000).toFixed(1)}s: ${int(agg.sessionsEstablished)} sessions established, ${int(agg.reconnects)} reconnects`,
    );
  }

  private logStage(stage: number): void {
    this.stage = stage;
    const p = this.opts.profile;
    const s = p.stages[stage];
    let endMs = 0;
    for (let i = 0; i <= stage; i++) endMs += p.stages[i].durationMs;
    const rate = p.closed ? '' : ` at ${int(plannedRate(p, endMs))}/s each`;
    this.log.info(
      `stage ${stage + 1} of ${p.stages.length}: ${int(plannedClients(p, endMs))} clients${rate} by ${formatSeconds(endMs / 1000)} (over ${formatSeconds(s.durationMs / 1000)})`,
    );
  }
}
