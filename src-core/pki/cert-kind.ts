import type { CertificateSummary } from '../../src-shared/api/token-types.js';
import { first, OID, type DecodedCertificate } from './cert-decode.js';

/**
 * Personal or organisation certificate. VGCA issues both from the same CA, so the subject
 * decides: an organisation certificate names the organisation as its holder — a tax id (MST)
 * and no personal id, or a CN equal to O.
 */
export function certificateKind(d: DecodedCertificate): CertificateSummary['kind'] {
  const personal = d.ids.some((i) => ['CMND', 'CCCD', 'HC', 'CMT'].includes(i.kind));
  if (personal) return 'personal';
  const cn = first(d.subject, OID.commonName);
  const org = first(d.subject, OID.organization);
  if (d.ids.some((i) => i.kind === 'MST' || i.kind === 'MNS')) return 'organisation';
  return org !== undefined && cn === org ? 'organisation' : 'personal';
}
