import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KysoError } from '../../../src-shared/errors.js';
import { t } from '../../../src-shared/i18n/translate.js';
import { signDocument } from '../../sign/sign-document.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { SIGNING_OPTIONS, openTokenSigner, planFromOptions, type SigningValues } from '../signing-options.js';

/** A thin box so a visible signature shows where it is until the Decree 30 appearances land. */
export function boxAppearance(w: number, h: number): { content: Buffer } {
  return {
    content: Buffer.from(`q 0 0 0.6 RG 1 w 0.5 0.5 ${(w - 1).toFixed(2)} ${(h - 1).toFixed(2)} re S Q`, 'latin1'),
  };
}

export async function runSign(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: SIGNING_OPTIONS, allowPositionals: true, strict: true });
  const v = values as SigningValues;
  if (positionals.length !== 1) throw new KysoError('USAGE', 'error.usage', { detail: 'kyso sign IN.pdf -o OUT.pdf' });
  if (!v.output) throw new KysoError('USAGE', 'error.usage', { detail: '-o OUT.pdf is required' });
  const input = resolve(positionals[0]!);
  const output = resolve(v.output);
  if (input === output) throw new KysoError('USAGE', 'error.usage', { detail: 'the output must be a different file' });
  if (!existsSync(input)) throw new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path: positionals[0]! });
  const plan = planFromOptions(v);
  const { signer, certificate, session } = await openTokenSigner(v, ctx);
  try {
    const r = await signDocument({
      input,
      output,
      signer,
      level: plan.level,
      ...(plan.tsaUrl ? { tsaUrl: plan.tsaUrl } : {}),
      placement: {
        ...(plan.pageIndex !== undefined ? { pageIndex: plan.pageIndex } : {}),
        ...(plan.rect ? { rect: plan.rect, appearance: boxAppearance } : {}),
        signingTime: new Date(),
        name: certificate.subject.commonName,
        ...(plan.reason ? { reason: plan.reason } : {}),
        ...(plan.location ? { location: plan.location } : {}),
      },
    });
    if (v.json) {
      ctx.stdout.write(
        `${JSON.stringify({
          input,
          output,
          field: r.fieldName,
          level: r.level,
          signer: certificate.subject.commonName,
          certificate: certificate.sha256,
          byteRange: r.signature.byteRange,
          timestamp: r.timestampTime?.toISOString() ?? null,
          dss: r.dss ?? null,
        })}\n`,
      );
    } else {
      ctx.stderr.write(`${t(ctx.locale, 'sign.done', { output, level: r.level, field: r.fieldName })}\n`);
    }
    return EXIT.OK;
  } finally {
    session.close();
  }
}
