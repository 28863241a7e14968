/**
 * Vietnamese signing roles (Decree 30/2020/NĐ-CP) on top of signDocument: plan the stamp and the
 * annotations of the revision, then sign. See docs/roles.md.
 */
import type { MessageKey } from '../../../src-shared/i18n/messages.js';
import type { Locale } from '../../../src-shared/i18n/messages.js';
import { t } from '../../../src-shared/i18n/translate.js';
import {
  signDocument,
  type DocumentSigner,
  type PadesLevel,
  type SignDocumentResult,
} from '../../sign/sign-document.js';
import { planRole } from './profiles.js';
import type { RolePlan, RoleRequest, RoleWarning } from './types.js';

export { planRole } from './profiles.js';
export { existingSignatures, requireCompetentSignature, type ExistingSignature } from './competent.js';
export {
  COPY_TYPES,
  decreeDateParts,
  decreeDateText,
  initialsOf,
  isoWithOffset,
  parseCalendarDate,
  parseCopyType,
  VIETNAM_OFFSET_MINUTES,
} from './format.js';
export { REQUIRED_KIND, signerFacts, type SignerFacts } from './signer.js';
export { DEFAULT_SEAL_MM } from './images.js';
export { userRectToVisible } from './annotations.js';
export * from './types.js';

export interface SignWithRoleOptions extends Omit<RoleRequest, 'signerCertDer'> {
  output: string;
  signer: DocumentSigner;
  level: PadesLevel;
  tsaUrl?: string;
  networkTimeoutMs?: number;
}

export interface SignWithRoleResult {
  plan: RolePlan;
  result: SignDocumentResult;
}

/** Plans the role for the signer's certificate and signs with it: one revision (+ DSS/LTA ones). */
export async function signWithRole(o: SignWithRoleOptions): Promise<SignWithRoleResult> {
  const plan = await planRole({ ...o, signerCertDer: o.signer.certDer });
  const result = await signDocument({
    input: o.input,
    output: o.output,
    signer: o.signer,
    level: o.level,
    ...(o.tsaUrl ? { tsaUrl: o.tsaUrl } : {}),
    ...(o.networkTimeoutMs !== undefined ? { networkTimeoutMs: o.networkTimeoutMs } : {}),
    placement: plan.placement,
    ...(plan.prepare ? { prepare: plan.prepare } : {}),
  });
  return { plan, result };
}

/** A warning as one line in the user's language. */
export function warningText(locale: Locale, w: RoleWarning): string {
  const params = { ...w.params };
  if (typeof params.what === 'string') params.what = t(locale, `roles.label.${params.what}` as MessageKey);
  return t(locale, w.key, params);
}
