/**
 * Upgrading an offline B-B signature once the network is back, the PAdES way: the CMS inside a
 * signed PDF cannot be touched (its bytes are covered by nothing, but rewriting /Contents would
 * change the file the signature's revision ends with, and any later revision), so instead two
 * revisions are appended — a DSS with the signer chain's certificates and OCSP responses (or
 * CRLs), then an RFC 3161 document timestamp over everything. A document timestamp covering the
 * signature gives it a proven time (EN 319 142-1 §5.4: B-T by document timestamp), and the DSS
 * before it makes the signer's validation data long-term (B-LT for the signer; the TSA's own
 * chain is not added to a DSS after the timestamp).
 */
import type { CmsScheme } from '../cms/cades-builder.js';
import { verifyDetachedCms } from '../cms/cms-verify.js';
import type { FetchLike } from '../cms/http-exchange.js';
import { requestTimestamp } from '../cms/tsa-client.js';
import { addDss } from '../sign/dss.js';
import { appendPlainRevision, appendSignedRevision, openForSigning } from '../sign/pdf-signer.js';
import { gatherValidationData, type DocumentSigner } from '../sign/sign-document.js';
import { findSignatureByField } from '../sign/signature-lookup.js';
import { trimDer } from '../verify/signature-integrity.js';
import { tempPathBeside } from './atomic-fs.js';
import { unlink } from 'node:fs/promises';

export interface UpgradeOptions {
  input: string;
  output: string;
  /** The signature field made offline. */
  fieldName: string;
  tsaUrl: string;
  timeoutMs?: number;
  /** Bytes reserved for the timestamp token. */
  timestampReserve?: number;
  fetchImpl?: FetchLike;
}

export interface UpgradeResult {
  dss: { certs: number; ocsps: number; crls: number };
  timestampTime: Date | null;
}

export async function upgradeSignedFile(o: UpgradeOptions): Promise<UpgradeResult> {
  const timeoutMs = o.timeoutMs ?? 15_000;
  const reader = openForSigning(o.input);
  let cmsDer: Buffer;
  try {
    const sig = findSignatureByField(reader, o.fieldName);
    if (!sig?.contents) throw new Error(`signature field ${o.fieldName} not found`);
    cmsDer = trimDer(sig.contents);
  } finally {
    reader.close();
  }
  const check = await verifyDetachedCms({ cmsDer });
  if (!check.signerCertDer) throw new Error('signer certificate not in the CMS');
  const signerCert = check.signerCertDer;
  // gatherValidationData needs the chain, not a key: a signer that cannot sign is enough.
  const certsOnly: DocumentSigner = {
    certDer: signerCert,
    chainDers: check.certificatesDer.filter((c) => !c.equals(signerCert)),
    scheme: 'RSA-PKCS1' satisfies CmsScheme,
    sign: () => Promise.reject(new Error('not a signing context')),
  };
  const data = await gatherValidationData(cmsDer, certsOnly, timeoutMs);
  const mid = tempPathBeside(o.output);
  try {
    await appendPlainRevision(o.input, mid, (r, update) => addDss(r, update, data));
    let timestampTime: Date | null = null;
    await appendSignedRevision(
      mid,
      o.output,
      { kind: 'doc-timestamp' },
      {
        hash: 'SHA-256',
        maxBytes: (o.timestampReserve ?? 8192) + 1024,
        produce: async (digest) => {
          const ts = await requestTimestamp({
            url: o.tsaUrl,
            digest,
            hash: 'SHA-256',
            timeoutMs,
            ...(o.fetchImpl ? { fetchImpl: o.fetchImpl } : {}),
          });
          timestampTime = ts.genTime;
          return ts.token;
        },
      },
    );
    return { dss: { certs: data.certs.length, ocsps: data.ocsps.length, crls: data.crls.length }, timestampTime };
  } finally {
    await unlink(mid).catch(() => undefined);
  }
}
