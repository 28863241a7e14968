import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KysoError } from '../../../src-shared/errors.js';
import { t } from '../../../src-shared/i18n/translate.js';
import { warningText } from '../../appearance/roles/index.js';
import type { RolePlan } from '../../appearance/roles/types.js';
import type { FieldPlacement } from '../../sign/pdf-signer.js';
import { signDocument } from '../../sign/sign-document.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import {
  SIGNING_OPTIONS,
  checkCertificateKind,
  openTokenSigner,
  planFromOptions,
  rolePlanFor,
  type SigningPlan,
  type SigningValues,
} from '../signing-options.js';

/** A thin box for a visible signature without --profile (a plain signature at --page/--rect). */
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
  const { signer, certificate, session } = await openTokenSigner(v, ctx, (c) => checkCertificateKind(plan, c));
  try {
    const signingTime = new Date();
    const role = await rolePlanFor(plan, input, signer, signingTime);
    const warnings = role ? role.warnings.map((w) => ({ code: w.code, message: warningText(ctx.locale, w) })) : [];
    for (const w of warnings) ctx.stderr.write(`kyso: ${t(ctx.locale, 'roles.warning', { text: w.message })}\n`);
    const r = await signDocument({
      input,
      output,
      signer,
      level: plan.level,
      ...(plan.tsaUrl ? { tsaUrl: plan.tsaUrl } : {}),
      placement: role ? role.placement : plainPlacement(plan, certificate.subject.commonName, signingTime),
      ...(role?.prepare ? { prepare: role.prepare } : {}),
    });
    if (v.json) {
      ctx.stdout.write(
        `${JSON.stringify({
          input,
          output,
          field: r.fieldName,
          level: r.level,
          profile: plan.role?.profile ?? null,
          signer: certificate.subject.commonName,
          certificate: certificate.sha256,
          certificateKind: certificate.kind,
          byteRange: r.signature.byteRange,
          timestamp: r.timestampTime?.toISOString() ?? null,
          dss: r.dss ?? null,
          ...stampReport(role),
          warnings,
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

/** Without --profile: invisible, or the thin box at --page/--rect. */
export function plainPlacement(plan: SigningPlan, name: string, signingTime: Date): Omit<FieldPlacement, 'kind'> {
  return {
    ...(plan.pageIndex !== undefined ? { pageIndex: plan.pageIndex } : {}),
    ...(plan.rect ? { rect: plan.rect, appearance: boxAppearance } : {}),
    signingTime,
    name,
    ...(plan.reason ? { reason: plan.reason } : {}),
    ...(plan.location ? { location: plan.location } : {}),
  };
}

const round = (r: readonly number[]): number[] => r.map((x) => Math.round(x * 100) / 100);

/** Where the stamp and the annotations went (visible page coordinates, pages from 1). */
export function stampReport(role: RolePlan | null): {
  stamp: { page: number; rect: number[] } | null;
  annotations: Array<{ kind: string; subtype: string; page: number; rect: number[]; text?: string }>;
} {
  const p = role?.placement;
  return {
    stamp: p?.rect ? { page: (p.pageIndex ?? 0) + 1, rect: round(p.rect) } : null,
    annotations: (role?.annotations ?? []).map((a) => ({
      kind: a.kind,
      subtype: a.subtype,
      page: a.pageIndex + 1,
      rect: round(a.rect),
      ...(a.text !== undefined ? { text: a.text } : {}),
    })),
  };
}
