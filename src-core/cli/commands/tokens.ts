import { parseArgs } from 'node:util';
import type { ModuleSummary, PinState } from '../../../src-shared/api/token-types.js';
import type { MessageKey } from '../../../src-shared/i18n/messages.js';
import { t } from '../../../src-shared/i18n/translate.js';
import { EXIT } from '../exit-codes.js';
import { listModules } from '../../token/token-service.js';
import type { CliContext } from '../context.js';

/**
 * `kyso tokens [--module PATH]... [--json]`. Exit 0 when at least one token is present, 69 when
 * none is (so scripts can test for a token), 64 on usage errors.
 */
export async function runTokens(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { module: { type: 'string', multiple: true }, json: { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: false,
  });
  const modules = listModules({ explicit: values.module ?? [], env: ctx.env });
  const tokenCount = modules.reduce((n, m) => n + m.tokens.length, 0);
  if (values.json) {
    ctx.stdout.write(`${JSON.stringify({ modules }, null, 2)}\n`);
  } else {
    ctx.stdout.write(render(modules, ctx));
  }
  return tokenCount > 0 ? EXIT.OK : EXIT.UNAVAILABLE;
}

function pinText(p: PinState, tr: (k: MessageKey) => string): string {
  const parts: string[] = [];
  if (p.locked) parts.push(tr('tokens.pin.locked'));
  else if (p.finalTry) parts.push(tr('tokens.pin.finalTry'));
  else if (p.countLow) parts.push(tr('tokens.pin.countLow'));
  else parts.push(tr('tokens.pin.ok'));
  if (p.pinPad) parts.push(tr('tokens.pin.pad'));
  return parts.join(', ');
}

function render(modules: ModuleSummary[], ctx: CliContext): string {
  const tr = (k: MessageKey, p?: Record<string, string | number>): string => t(ctx.locale, k, p);
  if (modules.length === 0) return `${tr('error.noModule')}\n`;
  const out: string[] = [];
  for (const m of modules) {
    const head = `${tr('tokens.module')}: ${m.path}${m.vendor ? ` (${m.vendor})` : ''}`;
    if (!m.loaded) {
      const reason = m.error ? t(ctx.locale, m.error.messageKey as MessageKey, m.error.params) : '';
      out.push(`${head} — ${tr('tokens.moduleFailed')}: ${reason}`);
      continue;
    }
    out.push(
      `${head} — ${m.library?.manufacturer ?? ''} ${m.library?.description ?? ''} ${m.library?.version ?? ''}`.trimEnd(),
    );
    if (m.tokens.length === 0) out.push(`  ${tr('tokens.noToken')}`);
    for (const tk of m.tokens) {
      out.push(`  ${tr('tokens.token')}: ${tk.label} — ${tk.manufacturer} ${tk.model}, serial ${tk.serialNumber}`);
      out.push(`    ${tr('tokens.pin')}: ${pinText(tk.pin, tr)}`);
      for (const c of tk.certificates) {
        const ids = c.subject.ids.map((i) => `${i.kind}:${i.value}`).join(', ');
        out.push(
          `    ${tr('tokens.cert')} [${c.id}] ${c.subject.commonName}${c.subject.title ? `, ${c.subject.title}` : ''}${c.subject.organization ? ` — ${c.subject.organization}` : ''}` +
            ` (${tr(c.kind === 'personal' ? 'tokens.cert.personal' : 'tokens.cert.organisation')}${ids ? `; ${ids}` : ''})`,
        );
        out.push(
          `      ${tr('tokens.cert.issuer')}: ${c.issuerCommonName}; ${tr('tokens.cert.validity')}: ${c.notBefore.slice(0, 10)} → ${c.notAfter.slice(0, 10)}; ${c.keyAlgorithm}`,
        );
        out.push(
          `      ${c.usable ? tr('tokens.cert.usable') : `${tr('tokens.cert.notUsable')}: ${c.problems.map((p) => tr(p as MessageKey)).join('; ')}`}`,
        );
      }
    }
  }
  return `${out.join('\n')}\n`;
}
