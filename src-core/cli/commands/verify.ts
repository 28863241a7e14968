import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Reason, VerifyReport } from '../../../src-shared/api/verify-types.js';
import { KysoError } from '../../../src-shared/errors.js';
import type { Locale } from '../../../src-shared/i18n/messages.js';
import { createTrustServices } from '../../verify/trust-services.js';
import { verifyPdf } from '../../verify/validate.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';

/** Exit 0 every signature TOTAL-PASSED; 1 any TOTAL-FAILED (or an unreadable file); 2 otherwise. */
export function verifyExitCode(r: VerifyReport): number {
  if (r.fileError) return EXIT.VERIFY_FAILED;
  if (r.signatures.some((s) => s.indication === 'TOTAL-FAILED')) return EXIT.VERIFY_FAILED;
  if (r.signatures.length === 0 || r.signatures.some((s) => s.indication !== 'TOTAL-PASSED'))
    return EXIT.VERIFY_INDETERMINATE;
  return EXIT.OK;
}

export async function runVerify(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { trust: { type: 'string', multiple: true }, offline: { type: 'boolean' }, json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new KysoError('USAGE', 'error.usage', { detail: 'kyso verify FILE.pdf' });
  const file = positionals[0]!;
  if (!existsSync(file)) throw new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path: file });
  const trust = await createTrustServices({ trustPems: values.trust ?? [], env: ctx.env });
  const report = await verifyPdf(file, { trust, offline: values.offline ?? false });
  if (values.json) ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else ctx.stdout.write(render(report, ctx.locale));
  return verifyExitCode(report);
}

function text(r: Reason, locale: Locale): string {
  return locale === 'en' ? r.en : r.vi;
}

function render(r: VerifyReport, locale: Locale): string {
  const out: string[] = [r.file];
  if (r.fileError) out.push(`  ✗ ${text(r.fileError, locale)}`);
  for (const w of r.warnings) out.push(`  ! ${text(w, locale)}`);
  for (const s of r.signatures) {
    const mark = s.indication === 'TOTAL-PASSED' ? '✓' : s.indication === 'TOTAL-FAILED' ? '✗' : '?';
    const who = s.signer
      ? `${s.signer.commonName}${s.signer.title ? `, ${s.signer.title}` : ''}${s.signer.organization ? ` — ${s.signer.organization}` : ''}`
      : '—';
    out.push(`  ${mark} ${s.field}: ${s.indication}${s.subIndication ? `/${s.subIndication}` : ''} — ${who}`);
    out.push(
      `    ${s.kind === 'document-timestamp' ? 'document timestamp' : (s.level ?? 'signature')}; coverage ${s.coverage}; modifications ${s.modifications.level}; ` +
        `time ${s.signingTime ?? '—'} (${s.signingTimeSource})${s.trustAnchor ? `; anchor ${s.trustAnchor}` : ''}`,
    );
    for (const reason of s.reasons) out.push(`    - ${text(reason, locale)}`);
  }
  return `${out.join('\n')}\n`;
}
