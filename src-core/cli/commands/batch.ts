import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KysoError, toErrorValue, type ErrorCode } from '../../../src-shared/errors.js';
import { errorText, t } from '../../../src-shared/i18n/translate.js';
import { warningText } from '../../appearance/roles/index.js';
import { signDocument } from '../../sign/sign-document.js';
import type { CliContext } from '../context.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import {
  SIGNING_OPTIONS,
  checkCertificateKind,
  openTokenSigner,
  planFromOptions,
  rolePlanFor,
  type SigningValues,
} from '../signing-options.js';
import { plainPlacement, stampReport } from './sign.js';

/** Failures that end the whole batch: the token or the PIN is gone, retrying would not help. */
const FATAL: ReadonlySet<ErrorCode> = new Set([
  'PIN_LOCKED',
  'PIN_INCORRECT',
  'TOKEN_REMOVED',
  'TOKEN_NOT_PRESENT',
  'TOKEN_UNAVAILABLE',
  'SESSION_CLOSED',
  'NOT_LOGGED_IN',
  'DEVICE_ERROR',
]);

interface FileResult {
  file: string;
  output: string;
  status: 'signed' | 'failed' | 'skipped';
  error?: string;
  code?: string;
  warnings?: Array<{ code: string; message: string }>;
  stamp?: { page: number; rect: number[] } | null;
  annotations?: Array<{ kind: string; subtype: string; page: number; rect: number[]; text?: string }>;
}

/**
 * `kyso batch IN_DIR -o OUT_DIR`: one login for every PDF in IN_DIR. Two files are in flight:
 * while the token signs one, the next is read, hashed and written, so a slow token sets the pace
 * and nothing else does. A bad file is reported and skipped; a token failure stops the batch.
 */
export async function runBatch(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: SIGNING_OPTIONS, allowPositionals: true, strict: true });
  const v = values as SigningValues;
  if (positionals.length !== 1 || !v.output)
    throw new KysoError('USAGE', 'error.usage', { detail: 'kyso batch IN_DIR -o OUT_DIR' });
  const inDir = resolve(positionals[0]!);
  const outDir = resolve(v.output);
  let names: string[];
  try {
    names = readdirSync(inDir)
      .filter((n) => n.toLowerCase().endsWith('.pdf') && statSync(join(inDir, n)).isFile())
      .sort();
  } catch {
    throw new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path: positionals[0]! });
  }
  if (inDir === outDir) throw new KysoError('USAGE', 'error.usage', { detail: 'OUT_DIR must differ from IN_DIR' });
  mkdirSync(outDir, { recursive: true });
  const plan = planFromOptions(v);
  const { signer, certificate, session } = await openTokenSigner(v, ctx, (c) => checkCertificateKind(plan, c));

  const results: FileResult[] = names.map((n) => ({
    file: join(inDir, n),
    output: join(outDir, n),
    status: 'skipped',
  }));
  let stopped: string | null = null;
  let done = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (stopped === null && next < results.length) {
      const r = results[next++]!;
      try {
        const signingTime = new Date();
        // The layout is per file: each document has its own text, placeholders and signatures.
        const role = await rolePlanFor(plan, r.file, signer, signingTime);
        if (role && role.warnings.length > 0) {
          r.warnings = role.warnings.map((w) => ({ code: w.code, message: warningText(ctx.locale, w) }));
          for (const w of r.warnings) {
            ctx.stderr.write(`kyso: ${basename(r.file)}: ${t(ctx.locale, 'roles.warning', { text: w.message })}\n`);
          }
        }
        await signDocument({
          input: r.file,
          output: r.output,
          signer,
          level: plan.level,
          ...(plan.tsaUrl ? { tsaUrl: plan.tsaUrl } : {}),
          placement: role ? role.placement : plainPlacement(plan, certificate.subject.commonName, signingTime),
          ...(role?.prepare ? { prepare: role.prepare } : {}),
        });
        if (role) Object.assign(r, stampReport(role));
        r.status = 'signed';
      } catch (e) {
        const ev = toErrorValue(e);
        r.status = 'failed';
        r.code = ev.code;
        r.error = errorText(ctx.locale, ev);
        if (FATAL.has(ev.code)) stopped = r.error;
      }
      done++;
      const status =
        r.status === 'signed' ? t(ctx.locale, 'batch.ok') : t(ctx.locale, 'batch.failed', { reason: r.error ?? '' });
      ctx.stderr.write(
        `${t(ctx.locale, 'batch.progress', { n: done, total: results.length, file: basename(r.file), status })}\n`,
      );
    }
  };
  try {
    await Promise.all([worker(), worker()]);
  } finally {
    session.close();
  }
  const ok = results.filter((r) => r.status === 'signed').length;
  const failed = results.filter((r) => r.status === 'failed').length;
  const skipped = results.length - ok - failed;
  if (stopped) ctx.stderr.write(`${t(ctx.locale, 'batch.stopped', { reason: stopped })}\n`);
  ctx.stderr.write(`${t(ctx.locale, 'batch.summary', { ok, total: results.length, failed, skipped })}\n`);
  if (v.json) ctx.stdout.write(`${JSON.stringify({ results, signed: ok, failed, skipped })}\n`);
  if (stopped) {
    const fatal = results.find((r) => r.code && FATAL.has(r.code as ErrorCode));
    return exitCodeFor((fatal?.code ?? 'TOKEN_UNAVAILABLE') as ErrorCode);
  }
  return failed > 0 ? EXIT.DATA : EXIT.OK;
}
