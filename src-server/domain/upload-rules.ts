/**
 * The server's judgement on an uploaded signed file, from the inspector's facts and the
 * document's history in the database. Pure: every input is passed in, so the rules are tested
 * without a PDF engine and re-run inside the upload transaction on fresh data.
 */
import type { CertKind, RequiredAction } from '../../src-shared/api/sync-types.js';
import { ServerError } from '../errors.js';
import type { InspectedSignature, UploadInspection } from './inspector.js';

/**
 * Which certificate each step needs (VN-RULES, Decree 30): people approve, initial and direct
 * with their personal certificate; the clerk issues, signs appendices and copies and stamps
 * incoming documents with the organisation's certificate.
 */
export const EXPECTED_KIND: Record<RequiredAction, CertKind> = {
  approval: 'personal',
  initials: 'personal',
  directive: 'personal',
  issue: 'organisation',
  appendix: 'organisation',
  copy: 'organisation',
  received: 'organisation',
};

export interface UploadRuleContext {
  action: RequiredAction;
  /** Certificates bound to the assigned user: SHA-256 fingerprint → kind. */
  boundCertificates: ReadonlyMap<string, CertKind>;
  /** An accepted approval signature by a leader exists on this document. */
  hasCompetentApproval: boolean;
  /** The register number and date have been allocated (issue step only). */
  numberAllocated: boolean;
}

export function judgeUpload(inspection: UploadInspection, ctx: UploadRuleContext): InspectedSignature {
  if (inspection.errors.length > 0) {
    throw new ServerError(
      422,
      'SIGNATURE_INVALID',
      { detail: inspection.errors.join('; ') },
      { errors: inspection.errors },
    );
  }
  const count = inspection.newSignatures.length;
  if (count !== 1) throw new ServerError(422, 'SIGNATURE_COUNT', { count });
  const sig = inspection.newSignatures[0]!;
  if (!sig.valid) throw new ServerError(422, 'SIGNATURE_INVALID', { detail: 'cryptographic check failed' });
  const boundKind = ctx.boundCertificates.get(sig.signerCertSha256.toLowerCase());
  if (boundKind === undefined) throw new ServerError(422, 'WRONG_SIGNER');
  const expected = EXPECTED_KIND[ctx.action];
  // The bound kind is the administrator's word; the inspector's is the certificate's own profile.
  if (sig.signerKind !== expected || boundKind !== expected) {
    throw new ServerError(422, 'SIGNER_KIND_MISMATCH', { action: ctx.action, expected, actual: sig.signerKind });
  }
  if (expected === 'organisation' && ctx.action === 'issue') {
    // Decree 30 art. 32.2(d): the organisation signs only over the competent person's signature,
    // and art. 15.3: after the system has given the number and date.
    if (!ctx.hasCompetentApproval) throw new ServerError(422, 'COMPETENT_SIGNATURE_MISSING');
    if (!ctx.numberAllocated) throw new ServerError(422, 'NUMBER_NOT_ALLOCATED');
  }
  return sig;
}
