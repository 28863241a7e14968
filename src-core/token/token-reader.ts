/**
 * Reads slots, tokens and certificates without logging in. Certificates are paired with their
 * keys by CKA_ID, falling back to comparing public keys (some drivers write mismatched ids).
 * Private keys are often invisible before login, so a public key object counts as evidence of
 * the pair; the signer confirms the private key after login.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { CertificateSummary, PinState, TokenSummary } from '../../src-shared/api/token-types.js';
import { decodeCertificate, first, OID, type DecodedCertificate } from '../pki/cert-decode.js';
import { certificateKind } from '../pki/cert-kind.js';
import { mapTokenError } from './ckr.js';
import { CKF, pinStateFromFlags } from './pin-state.js';
import { pkcs11js, type Handle, type LoadedModule, type PKCS11 } from './pkcs11-module.js';

export interface TokenObjects {
  certificates: Array<{ handle: Handle; id: Buffer; label: string; decoded: DecodedCertificate }>;
  privateKeys: Array<{ handle: Handle; id: Buffer; publicKey: KeyObject | null }>;
  publicKeys: Array<{ handle: Handle; id: Buffer; publicKey: KeyObject | null }>;
}

export function slotsWithToken(mod: LoadedModule): Handle[] {
  try {
    return mod.p11.C_GetSlotList(true);
  } catch (e) {
    throw mapTokenError(e);
  }
}

export interface TokenIdentity {
  label: string;
  manufacturer: string;
  model: string;
  serialNumber: string;
  flags: number;
  pin: PinState;
  slotDescription: string;
}

export function readTokenIdentity(mod: LoadedModule, slot: Handle): TokenIdentity {
  try {
    const ti = mod.p11.C_GetTokenInfo(slot);
    const si = mod.p11.C_GetSlotInfo(slot);
    return {
      label: ti.label.trim(),
      manufacturer: ti.manufacturerID.trim(),
      model: ti.model.trim(),
      serialNumber: ti.serialNumber.trim(),
      flags: ti.flags,
      pin: pinStateFromFlags(ti.flags),
      slotDescription: si.slotDescription.trim(),
    };
  } catch (e) {
    throw mapTokenError(e);
  }
}

function findAll(p11: PKCS11, session: Handle, template: Array<{ type: number; value?: unknown }>): Handle[] {
  p11.C_FindObjectsInit(session, template as Parameters<PKCS11['C_FindObjectsInit']>[1]);
  try {
    const out: Handle[] = [];
    for (;;) {
      const batch = p11.C_FindObjects(session, 64);
      if (batch.length === 0) break;
      out.push(...batch);
    }
    return out;
  } finally {
    p11.C_FindObjectsFinal(session);
  }
}

function attrs(p11: PKCS11, session: Handle, h: Handle, types: number[]): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (const type of types) {
    try {
      const [a] = p11.C_GetAttributeValue(session, h, [{ type }]);
      if (a && Buffer.isBuffer(a.value)) out.set(type, a.value);
    } catch {
      // An attribute a driver does not have (or keeps sensitive) is simply absent.
    }
  }
  return out;
}

/** Public key of a key object, as node:crypto KeyObject (RSA modulus/exponent or EC point). */
function keyObjectOf(p11: PKCS11, session: Handle, h: Handle): KeyObject | null {
  const c = pkcs11js();
  const a = attrs(p11, session, h, [
    c.CKA_KEY_TYPE,
    c.CKA_MODULUS,
    c.CKA_PUBLIC_EXPONENT,
    c.CKA_EC_POINT,
    c.CKA_EC_PARAMS,
  ]);
  try {
    const n = a.get(c.CKA_MODULUS);
    const e = a.get(c.CKA_PUBLIC_EXPONENT);
    if (n && e) {
      return createPublicKey({ key: { kty: 'RSA', n: b64u(n), e: b64u(e) }, format: 'jwk' });
    }
    const point = a.get(c.CKA_EC_POINT);
    const params = a.get(c.CKA_EC_PARAMS);
    if (point && params) return ecKeyObject(point, params);
  } catch {
    return null;
  }
  return null;
}

const CURVES: Record<string, { crv: string; len: number }> = {
  '06082a8648ce3d030107': { crv: 'P-256', len: 32 },
  '06052b81040022': { crv: 'P-384', len: 48 },
  '06052b81040023': { crv: 'P-521', len: 66 },
};

function ecKeyObject(point: Buffer, params: Buffer): KeyObject | null {
  const curve = CURVES[params.toString('hex')];
  if (!curve) return null;
  // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point (04 || X || Y).
  let raw = point;
  if (raw[0] === 0x04 && raw.length !== 1 + 2 * curve.len) {
    const lenByte = raw[1]!;
    raw = lenByte & 0x80 ? raw.subarray(2 + (lenByte & 0x7f)) : raw.subarray(2);
  }
  if (raw[0] !== 0x04 || raw.length !== 1 + 2 * curve.len) return null;
  const x = raw.subarray(1, 1 + curve.len);
  const y = raw.subarray(1 + curve.len);
  return createPublicKey({ key: { kty: 'EC', crv: curve.crv, x: b64u(x), y: b64u(y) }, format: 'jwk' });
}

function b64u(b: Buffer): string {
  return b.toString('base64url');
}

export function readObjects(mod: LoadedModule, session: Handle): TokenObjects {
  const c = pkcs11js();
  const p11 = mod.p11;
  try {
    const certificates = findAll(p11, session, [
      { type: c.CKA_CLASS, value: c.CKO_CERTIFICATE },
      { type: c.CKA_CERTIFICATE_TYPE, value: c.CKC_X_509 },
    ]).flatMap((handle) => {
      const a = attrs(p11, session, handle, [c.CKA_VALUE, c.CKA_ID, c.CKA_LABEL]);
      const der = a.get(c.CKA_VALUE);
      if (!der) return [];
      try {
        return [
          {
            handle,
            id: a.get(c.CKA_ID) ?? Buffer.alloc(0),
            label: (a.get(c.CKA_LABEL) ?? Buffer.alloc(0)).toString('utf8'),
            decoded: decodeCertificate(der),
          },
        ];
      } catch {
        return []; // A malformed certificate object is skipped, not fatal for the others.
      }
    });
    const keys = (cls: number): TokenObjects['privateKeys'] =>
      findAll(p11, session, [{ type: c.CKA_CLASS, value: cls }]).map((handle) => ({
        handle,
        id: attrs(p11, session, handle, [c.CKA_ID]).get(c.CKA_ID) ?? Buffer.alloc(0),
        publicKey: keyObjectOf(p11, session, handle),
      }));
    return { certificates, privateKeys: keys(c.CKO_PRIVATE_KEY), publicKeys: keys(c.CKO_PUBLIC_KEY) };
  } catch (e) {
    throw mapTokenError(e);
  }
}

function samePublicKey(a: KeyObject | null, certDer: Buffer): boolean {
  if (!a) return false;
  try {
    const certKey = createPublicKey({ key: certDer, format: 'der', type: 'spki' });
    return certKey.equals(a);
  } catch {
    return false;
  }
}

function spkiOf(d: DecodedCertificate): Buffer {
  return Buffer.from(d.cert.subjectPublicKeyInfo.toSchema().toBER(false));
}

/** The private key handle for a certificate: same CKA_ID first, then the same public key. */
export function pairKey(
  objs: TokenObjects,
  cert: TokenObjects['certificates'][number],
): { viaPublic: boolean; handle: Handle | null } {
  const byId = objs.privateKeys.find((k) => cert.id.length > 0 && k.id.equals(cert.id));
  if (byId) return { viaPublic: false, handle: byId.handle };
  const spki = spkiOf(cert.decoded);
  const byKey = objs.privateKeys.find((k) => samePublicKey(k.publicKey, spki));
  if (byKey) return { viaPublic: false, handle: byKey.handle };
  const pub =
    objs.publicKeys.find((k) => cert.id.length > 0 && k.id.equals(cert.id)) ??
    objs.publicKeys.find((k) => samePublicKey(k.publicKey, spki));
  return { viaPublic: pub !== undefined, handle: null };
}

export function summarizeCertificate(
  cert: TokenObjects['certificates'][number],
  hasPrivateKey: boolean,
  now: Date = new Date(),
): CertificateSummary {
  const d = cert.decoded;
  const problems: string[] = [];
  if (d.isCa) problems.push('cert.problem.ca');
  if (now < d.notBefore) problems.push('cert.problem.notYetValid');
  if (now > d.notAfter) problems.push('cert.problem.expired');
  if (!hasPrivateKey) problems.push('cert.problem.noPrivateKey');
  if (d.keyUsage.length > 0 && !d.keyUsage.includes('digitalSignature') && !d.keyUsage.includes('nonRepudiation')) {
    problems.push('cert.problem.keyUsage');
  }
  const ids = d.ids;
  const cn = first(d.subject, OID.commonName) ?? '';
  const org = first(d.subject, OID.organization);
  const kind = certificateKind(d);
  return {
    id: cert.id.toString('hex'),
    label: cert.label,
    subject: {
      commonName: cn,
      title: first(d.subject, OID.title),
      organization: org,
      organizationalUnit: first(d.subject, OID.organizationalUnit),
      locality: first(d.subject, OID.locality),
      province: first(d.subject, OID.province),
      country: first(d.subject, OID.country),
      email: first(d.subject, OID.email),
      ids,
    },
    subjectDn: d.subjectDn,
    issuerDn: d.issuerDn,
    issuerCommonName: first(d.issuer, OID.commonName) ?? '',
    serialNumber: d.serialNumber,
    notBefore: d.notBefore.toISOString(),
    notAfter: d.notAfter.toISOString(),
    keyAlgorithm: d.keyAlgorithm,
    keyUsage: d.keyUsage,
    extendedKeyUsage: d.extendedKeyUsage,
    sha256: d.sha256,
    kind,
    hasPrivateKey,
    usable: problems.length === 0,
    problems,
    isCa: d.isCa,
  };
}

export function readToken(mod: LoadedModule, slot: Handle): TokenSummary {
  const id = readTokenIdentity(mod, slot);
  const c = pkcs11js();
  let certificates: CertificateSummary[] = [];
  let session: Handle | null = null;
  // An uninitialised token (a blank card, SoftHSM's spare slot) has no objects to read.
  if ((id.flags & CKF.TOKEN_INITIALIZED) === 0) {
    return {
      modulePath: mod.path,
      slotId: slot.toString('hex'),
      slotDescription: id.slotDescription,
      label: id.label,
      manufacturer: id.manufacturer,
      model: id.model,
      serialNumber: id.serialNumber,
      pin: id.pin,
      certificates,
    };
  }
  try {
    session = mod.p11.C_OpenSession(slot, c.CKF_SERIAL_SESSION);
    const objs = readObjects(mod, session);
    certificates = objs.certificates.map((cert) => {
      const pair = pairKey(objs, cert);
      return summarizeCertificate(cert, pair.handle !== null || pair.viaPublic);
    });
  } catch (e) {
    throw mapTokenError(e);
  } finally {
    if (session !== null) {
      try {
        mod.p11.C_CloseSession(session);
      } catch {
        // The token may have gone; the session went with it.
      }
    }
  }
  return {
    modulePath: mod.path,
    slotId: slot.toString('hex'),
    slotDescription: id.slotDescription,
    label: id.label,
    manufacturer: id.manufacturer,
    model: id.model,
    serialNumber: id.serialNumber,
    pin: id.pin,
    certificates,
  };
}
