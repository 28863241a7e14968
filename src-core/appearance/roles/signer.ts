/**
 * Who signs, as the roles need it: the name and title searched for on the page, the organisation
 * named on copies and seals, and the certificate kind each role requires (Decree 30: the competent
 * person signs with a personal certificate, the clerk issues with the organisation's).
 */
import { KysoError } from '../../../src-shared/errors.js';
import { decodeCertificate, first, OID } from '../../pki/cert-decode.js';
import { certificateKind } from '../../pki/cert-kind.js';
import type { RoleProfile } from './types.js';

export type CertKind = 'personal' | 'organisation';

export interface SignerFacts {
  commonName: string;
  organisation: string | undefined;
  title: string | undefined;
  kind: CertKind;
}

export function signerFacts(certDer: Buffer): SignerFacts {
  const d = decodeCertificate(certDer);
  return {
    commonName: first(d.subject, OID.commonName) ?? '',
    organisation: first(d.subject, OID.organization),
    title: first(d.subject, OID.title),
    kind: certificateKind(d),
  };
}

/** The certificate kind each profile needs. */
export const REQUIRED_KIND: Record<RoleProfile, CertKind> = {
  approval: 'personal',
  initials: 'personal',
  comment: 'personal',
  issue: 'organisation',
  appendix: 'organisation',
  copy: 'organisation',
  received: 'organisation',
};

export function requireKind(profile: RoleProfile, facts: SignerFacts): void {
  const need = REQUIRED_KIND[profile];
  if (facts.kind === need) return;
  throw new KysoError('USAGE', need === 'personal' ? 'roles.needPersonalCert' : 'roles.needOrganisationCert', {
    profile,
    subject: facts.commonName,
  });
}

/** The organisation a stamp names: the certificate's O, else its CN (an organisation certificate). */
export function organisationName(facts: SignerFacts): string {
  return facts.organisation ?? facts.commonName;
}
