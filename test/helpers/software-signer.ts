/**
 * A DocumentSigner over a software key from the test PKI. Used where the token is not what is
 * under test (validator corpora, benchmarks); token signing has its own tests.
 */
import { createPrivateKey, sign } from 'node:crypto';
import type { DocumentSigner } from '../../src-core/sign/sign-document.js';
import type { TestIdentity } from './pki.js';

export function softwareSigner(id: TestIdentity, chain: TestIdentity[]): DocumentSigner {
  const key = createPrivateKey(id.keyPem);
  const ec = id.keySpec.type === 'ec';
  return {
    certDer: Buffer.from(id.certDer),
    chainDers: chain.map((c) => Buffer.from(c.certDer)),
    scheme: ec ? 'ECDSA' : 'RSA-PKCS1',
    sign: async (tbs, hash) => ({
      signature: sign(hash.replace('-', '').toLowerCase(), tbs, key),
      scheme: ec ? 'ECDSA' : 'RSA-PKCS1',
    }),
  };
}
