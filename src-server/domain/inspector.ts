/**
 * What the server needs to know about an uploaded signed PDF, from the PDF signature validation
 * engine (src-core, being written separately). The server's own rules (upload-rules.ts) decide on
 * these facts; the engine only reports them.
 */
import type { CertKind } from '../../src-shared/api/sync-types.js';

export interface InspectedSignature {
  /** Cryptographically valid and covering the whole file up to its own revision. */
  valid: boolean;
  /** SHA-256 (hex) of the signer's certificate DER. */
  signerCertSha256: string;
  signerKind: CertKind;
}

export interface UploadInspection {
  /** Signatures added after the first priorLength bytes (the version the server sent). */
  newSignatures: InspectedSignature[];
  /** Anything that makes the file unacceptable regardless of the signatures (malformed, …). */
  errors: string[];
}

export interface UploadInspector {
  inspect(file: string, priorLength: number): Promise<UploadInspection>;
}

/** Used until a real engine is wired: refuses every upload rather than trusting the client. */
export const unavailableInspector: UploadInspector = {
  inspect: () => Promise.reject(new InspectorUnavailable()),
};

export class InspectorUnavailable extends Error {
  constructor() {
    super('no signature inspector configured');
    this.name = 'InspectorUnavailable';
  }
}
