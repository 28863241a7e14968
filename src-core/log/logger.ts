/**
 * A small structured logger: JSON lines, redacted (redact.ts), rotated by size (kyso.log →
 * kyso.1.log … kyso.N.log), appended synchronously so a crash loses at most the line being
 * written. The Electron main process, `kyso ui` and the service share it; the file lives in
 * <data folder>/logs. Logging never throws: a full disk must not stop a signature.
 */
import { appendFileSync, existsSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, basename, extname } from 'node:path';
import { redact, redactText } from './redact.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';

/** What the code that logs needs (tests pass a collector). */
export interface LogSink {
  debug(event: string, data?: Record<string, unknown>): void;
  info(event: string, data?: Record<string, unknown>): void;
  warn(event: string, data?: Record<string, unknown>): void;
  error(event: string, data?: Record<string, unknown>): void;
}

export const NULL_LOG: LogSink = { debug() {}, info() {}, warn() {}, error() {} };

export const LOG_DIR = 'logs';
export const LOG_FILE = 'kyso.log';

const isLevel = (v: string | undefined): v is Level => v === 'debug' || v === 'info' || v === 'warn' || v === 'error';

/** The log of a data folder: <dataDir>/logs/kyso.log, level from KYSO_LOG_LEVEL (default info). */
export function openLog(dataDir: string, env: NodeJS.ProcessEnv = process.env): Logger {
  return new Logger({
    file: join(dataDir, LOG_DIR, LOG_FILE),
    level: isLevel(env.KYSO_LOG_LEVEL) ? env.KYSO_LOG_LEVEL : 'info',
  });
}

export interface LoggerOptions {
  file: string;
  maxBytes?: number;
  keep?: number;
  level?: Level;
}

const ORDER: Level[] = ['debug', 'info', 'warn', 'error'];

export class Logger implements LogSink {
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly min: number;

  constructor(private readonly o: LoggerOptions) {
    this.maxBytes = o.maxBytes ?? 5 * 1024 * 1024;
    this.keep = o.keep ?? 5;
    this.min = ORDER.indexOf(o.level ?? 'info');
    mkdirSync(dirname(o.file), { recursive: true, mode: 0o700 });
  }

  get file(): string {
    return this.o.file;
  }

  log(level: Level, event: string, data: Record<string, unknown> = {}): void {
    if (ORDER.indexOf(level) < this.min) return;
    try {
      const fields = redact(data) as Record<string, unknown>;
      // Data cannot overwrite the fixed fields.
      delete fields.t;
      delete fields.level;
      delete fields.event;
      const head = { t: new Date().toISOString(), level, event: redactText(event) };
      const line = `${JSON.stringify({ ...head, ...fields })}\n`;
      this.rotateIfNeeded(Buffer.byteLength(line));
      appendFileSync(this.o.file, line, { mode: 0o600 });
    } catch {
      // Disk full, folder removed, permissions: the app goes on without this line.
    }
  }

  debug(e: string, d?: Record<string, unknown>): void {
    this.log('debug', e, d);
  }
  info(e: string, d?: Record<string, unknown>): void {
    this.log('info', e, d);
  }
  warn(e: string, d?: Record<string, unknown>): void {
    this.log('warn', e, d);
  }
  error(e: string, d?: Record<string, unknown>): void {
    this.log('error', e, d);
  }

  private rotated(i: number): string {
    const ext = extname(this.o.file);
    return join(dirname(this.o.file), `${basename(this.o.file, ext)}.${i}${ext}`);
  }

  private rotateIfNeeded(incoming: number): void {
    if (!existsSync(this.o.file) || statSync(this.o.file).size + incoming <= this.maxBytes) return;
    const last = this.rotated(this.keep);
    if (existsSync(last)) unlinkSync(last);
    for (let i = this.keep - 1; i >= 1; i--)
      if (existsSync(this.rotated(i))) renameSync(this.rotated(i), this.rotated(i + 1));
    renameSync(this.o.file, this.rotated(1));
  }
}
