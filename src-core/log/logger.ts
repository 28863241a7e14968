/**
 * A small structured logger: JSON lines, redacted (redact.ts), rotated by size (kyso.log →
 * kyso.1.log … kyso.N.log), appended synchronously so a crash loses at most the line being
 * written. The Electron main process, the CLI and the server share it.
 */
import { appendFileSync, existsSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, basename, extname } from 'node:path';
import { redact } from './redact.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  file: string;
  maxBytes?: number;
  keep?: number;
  level?: Level;
}

const ORDER: Level[] = ['debug', 'info', 'warn', 'error'];

export class Logger {
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly min: number;

  constructor(private readonly o: LoggerOptions) {
    this.maxBytes = o.maxBytes ?? 5 * 1024 * 1024;
    this.keep = o.keep ?? 5;
    this.min = ORDER.indexOf(o.level ?? 'info');
    mkdirSync(dirname(o.file), { recursive: true });
  }

  log(level: Level, event: string, data: Record<string, unknown> = {}): void {
    if (ORDER.indexOf(level) < this.min) return;
    const line = `${JSON.stringify({ t: new Date().toISOString(), level, event, ...(redact(data) as Record<string, unknown>) })}\n`;
    this.rotateIfNeeded(line.length);
    appendFileSync(this.o.file, line, { mode: 0o600 });
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
