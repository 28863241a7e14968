/**
 * Where a PIN may come from on the command line: an environment variable named by --pin-env,
 * one line of stdin (--pin-stdin), or a prompt on the terminal with echo off. Never an argument
 * (it would show in `ps` and shell history). The result is a Buffer the token layer wipes.
 */
import { KysoError } from '../../src-shared/errors.js';

export interface PinSource {
  pinEnv?: string;
  pinStdin?: boolean;
}

export async function readPin(src: PinSource, env: NodeJS.ProcessEnv, prompt: string): Promise<Buffer> {
  if (src.pinEnv) {
    const v = env[src.pinEnv];
    if (v === undefined || v === '') throw new KysoError('USAGE', 'error.pinMissing');
    return Buffer.from(v, 'utf8');
  }
  if (src.pinStdin) return readLine(process.stdin);
  if (process.stdin.isTTY) return promptHidden(prompt);
  throw new KysoError('USAGE', 'error.pinMissing');
}

async function readLine(stream: NodeJS.ReadStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    const all = Buffer.concat(chunks);
    const nl = all.indexOf(0x0a);
    if (nl >= 0 || all.length > 4096) {
      const line = all.subarray(0, nl >= 0 ? nl : all.length);
      const out = Buffer.from(line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line);
      all.fill(0);
      for (const c of chunks) c.fill(0);
      return out;
    }
  }
  const all = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  if (all.length === 0) throw new KysoError('USAGE', 'error.pinMissing');
  return all;
}

function promptHidden(prompt: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    const bytes: number[] = [];
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(Buffer.from(bytes));
      bytes.fill(0);
    };
    const onData = (d: Buffer): void => {
      for (const b of d) {
        if (b === 0x0d || b === 0x0a) return done();
        if (b === 0x03) return done(new KysoError('CANCELLED', 'error.cancelled'));
        if (b === 0x7f || b === 0x08) bytes.pop();
        else bytes.push(b);
      }
      d.fill(0);
    };
    stdin.on('data', onData);
  });
}
