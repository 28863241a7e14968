/** What the token bar shows, derived from the service's token state. */
import type { CertificateSummary, PinState, TokenSummary } from '../../src-shared/api/token-types';
import type { TokenState } from '../../src-shared/api/ui-types';

export interface CertChoice {
  token: TokenSummary;
  cert: CertificateSummary;
}

/** Every certificate usable for signing, personal ones first. */
export function signingCertificates(state: TokenState | null): CertChoice[] {
  const out: CertChoice[] = [];
  for (const m of state?.modules ?? [])
    for (const token of m.tokens) for (const cert of token.certificates) if (cert.usable) out.push({ token, cert });
  return out.sort((a, b) => (a.cert.kind === b.cert.kind ? 0 : a.cert.kind === 'personal' ? -1 : 1));
}

export function presentTokens(state: TokenState | null): TokenSummary[] {
  return (state?.modules ?? []).flatMap((m) => m.tokens).filter((t) => t.label !== '' || t.certificates.length > 0);
}

export type PinLevel = 'ok' | 'countLow' | 'finalTry' | 'locked' | 'pad';

export function pinLevel(p: PinState): PinLevel {
  if (p.locked) return 'locked';
  if (p.finalTry) return 'finalTry';
  if (p.countLow) return 'countLow';
  if (p.pinPad) return 'pad';
  return 'ok';
}

/** The chosen certificate, else the one used to sign in, else the first personal one. */
export function activeChoice(
  state: TokenState | null,
  certId: string | null,
  loginSha: string | null,
): CertChoice | null {
  const all = signingCertificates(state);
  return (
    all.find((c) => c.cert.id === certId) ??
    all.find((c) => loginSha !== null && c.cert.sha256.toLowerCase() === loginSha.toLowerCase()) ??
    all[0] ??
    null
  );
}
