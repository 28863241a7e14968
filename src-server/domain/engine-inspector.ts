/**
 * The real upload inspector: reads the uploaded PDF with our engine and reports each signature
 * added after the version the server sent — integrity (byte range, coverage, CMS over the
 * digest), the signer certificate's fingerprint and its kind. The server's rules decide on it.
 */
import { decodeCertificate } from '../../src-core/pki/cert-decode.js';
import { certificateKind } from '../../src-core/pki/cert-kind.js';
import { PdfReader } from '../../src-core/pdf/reader.js';
import { listSignatures } from '../../src-core/sign/signature-lookup.js';
import { checkIntegrity, sha256Hex } from '../../src-core/verify/signature-integrity.js';
import type { InspectedSignature, UploadInspector } from './inspector.js';

export const engineInspector: UploadInspector = {
  async inspect(file, priorLength) {
    let reader: PdfReader;
    try {
      reader = PdfReader.open(file);
    } catch (e) {
      return { newSignatures: [], errors: [`malformed: ${(e as Error).message}`] };
    }
    try {
      const newSignatures: InspectedSignature[] = [];
      const errors: string[] = [];
      for (const sig of listSignatures(reader)) {
        if (sig.kind !== 'sig') continue;
        const br = sig.byteRange;
        // Signatures wholly inside the prior version were there before; the rest are new.
        if (br.length === 4 && br[2]! + br[3]! <= priorLength) continue;
        const r = await checkIntegrity(reader, file, sig);
        const certDer = r.cms?.signerCertDer ?? null;
        let kind: InspectedSignature['signerKind'] = 'personal';
        if (certDer) {
          try {
            kind = certificateKind(decodeCertificate(certDer));
          } catch {
            errors.push('signer certificate unreadable');
          }
        }
        newSignatures.push({
          valid: r.problems.length === 0 && r.cms !== null && r.cms.signatureValid && r.cms.digestMatches,
          signerCertSha256: certDer ? sha256Hex(certDer) : '',
          signerKind: kind,
        });
      }
      return { newSignatures, errors };
    } finally {
      reader.close();
    }
  },
};
