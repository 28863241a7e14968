/**
 * The government trust anchors, pinned by SHA-256 of their DER. The pin is the source of truth:
 * certificate files (from ca.gov.vn, rootca.gov.vn or an IT department's folder) are only
 * material, accepted when their fingerprint matches one of these. No certificate bytes live in
 * the repository.
 *
 * Where the values come from (see docs/trust.md): each file was taken from at least one public
 * copy and, where two copies exist, their bytes were compared; several fingerprints also match
 * pins published by independent projects. None was compared against the files served at
 * ca.gov.vn / rootca.gov.vn yet (no network where this was written): `publicationUrlConfirmed`
 * says whether a URL is at least named by a real certificate's AIA, not that it was fetched.
 */
import { createHash } from 'node:crypto';

export type AnchorRole = 'root' | 'intermediate';
/** VGCA generations (G1 2010–2030 SHA-1, G2 2018–2048 SHA-256) and the national (MIC/NEAC) roots. */
export type AnchorGeneration = 'G1' | 'G2' | 'national';

export interface PinnedAnchor {
  /** Stable id, also the file stem used in docs and tests. */
  id: string;
  /** Subject CN as the CA wrote it. */
  name: string;
  /** Upper-case hex SHA-256 of the DER certificate. */
  sha256: string;
  role: AnchorRole;
  generation: AnchorGeneration;
  /** For intermediates: the id of the root that issued it. */
  issuerId?: string;
  /** Where the CA publishes the certificate, when known. */
  publicationUrl?: string;
  /** True when a real certificate names this URL (AIA caIssuers); false = seen only in third-party code or docs. */
  publicationUrlConfirmed: boolean;
  /** Signed with sha1WithRSAEncryption (all of G1 and the 2008 MIC root). */
  sha1Signed: boolean;
  /**
   * Not trusted unless the store is told to (`includeOptionalPins`): no independent pin exists
   * and the CA does not issue document signers we expect to meet.
   */
  optional: boolean;
  notBefore: string;
  notAfter: string;
  /** Why the fingerprint is believed, in short. */
  evidence: string;
}

const VGCA_PUB = 'http://ca.gov.vn/pki/pub';

export const PINNED_ANCHORS: readonly PinnedAnchor[] = Object.freeze([
  {
    id: 'vgca-root-g2',
    name: 'RootCA chuyên dùng Chính phủ G2',
    sha256: 'F04BA4B459A7C9A1B971AD9B1CB833E695A80C79AEA63B174B66A70EDFE2FDB8',
    role: 'root',
    generation: 'G2',
    publicationUrl: `${VGCA_PUB}/crt/rootcag2.crt`,
    publicationUrlConfirmed: true,
    sha1Signed: false,
    optional: false,
    notBefore: '2018-08-22T07:36:39Z',
    notAfter: '2048-08-14T07:36:39Z',
    evidence: 'two public copies identical; matches an independently published pin; SHA-1 thumbprint in the VGCA tool',
  },
  {
    id: 'vgca-cp-g2',
    name: 'CA phục vụ các cơ quan Nhà nước G2',
    sha256: 'D8CAB7A4AEF92E6BB2509D7C61CEE7B44F3731B2D21074963530277B366FAE4B',
    role: 'intermediate',
    generation: 'G2',
    issuerId: 'vgca-root-g2',
    publicationUrl: `${VGCA_PUB}/crt/cpcag2.crt`,
    publicationUrlConfirmed: false,
    sha1Signed: false,
    optional: false,
    notBefore: '2018-08-22T08:06:36Z',
    notAfter: '2048-08-14T07:36:39Z',
    evidence:
      'two public copies identical; matches an independently published pin; a real 2025 signer verifies through it',
  },
  {
    id: 'vgca-dang-g2',
    name: 'CA phục vụ các cơ quan Đảng G2',
    sha256: 'E4B402E3CB4CACC0A20D21FA49BCE76BEB4EB47BA7FFB7A8F71C554DBE561A81',
    role: 'intermediate',
    generation: 'G2',
    issuerId: 'vgca-root-g2',
    publicationUrlConfirmed: false,
    sha1Signed: false,
    optional: false,
    notBefore: '2018-08-22T08:18:56Z',
    notAfter: '2048-08-14T07:36:39Z',
    evidence: 'one public copy; matches an independently published pin; served from ca.dcs.vn, URL unknown',
  },
  {
    id: 'vgca-software-g2',
    name: 'CA phục vụ cho dịch vụ phần mềm G2',
    sha256: '40F3072893F35607E48F868DE76556905EC9784C3F1C9467DE767372556DF208',
    role: 'intermediate',
    generation: 'G2',
    issuerId: 'vgca-root-g2',
    publicationUrlConfirmed: false,
    sha1Signed: false,
    optional: true,
    notBefore: '2018-08-28T08:29:41Z',
    notAfter: '2048-08-14T07:36:39Z',
    evidence: 'one public copy (decompiled VGCA tool); verifies under Root G2; no independent pin',
  },
  {
    id: 'vgca-root-g1',
    name: 'Co quan chung thuc so chuyen dung Chinh phu (RootCA)',
    sha256: 'F7BC89054CEC7F12730D7B8CD3EB7955B163835087E5EB873EDFB584763B3F90',
    role: 'root',
    generation: 'G1',
    publicationUrl: `${VGCA_PUB}/cert/rootca.crt`,
    publicationUrlConfirmed: false,
    sha1Signed: true,
    optional: false,
    notBefore: '2010-03-10T05:45:57Z',
    notAfter: '2030-03-05T05:45:57Z',
    evidence: 'three public copies identical; matches an independently published pin',
  },
  {
    id: 'vgca-cp-g1',
    name: 'Co quan chung thuc so Chinh phu',
    sha256: '75E969C07BA35C29C72BBC1BFB880F20F3891A619B00B77EB02CA6160736A1FE',
    role: 'intermediate',
    generation: 'G1',
    issuerId: 'vgca-root-g1',
    publicationUrl: `${VGCA_PUB}/cert/cp.crt`,
    publicationUrlConfirmed: true,
    sha1Signed: true,
    optional: false,
    notBefore: '2010-03-25T06:33:32Z',
    notAfter: '2030-03-04T06:33:32Z',
    evidence:
      'two public copies identical; matches an independently published pin; a real 2015 signer verifies through it',
  },
  {
    id: 'vgca-dang-g1',
    name: 'Co quan chung thuc so Dang Cong san',
    sha256: '6E218B3EBC2F31B0D03205C64FD7E8920FB47187D37AFCDB4CB2BB4178BF4635',
    role: 'intermediate',
    generation: 'G1',
    issuerId: 'vgca-root-g1',
    publicationUrlConfirmed: false,
    sha1Signed: true,
    optional: false,
    notBefore: '2010-11-08T01:34:42Z',
    notAfter: '2030-02-26T01:34:42Z',
    evidence: 'two public copies (decompiled VGCA tool) identical; verifies under Root G1; no independent pin',
  },
  {
    id: 'vgca-btc-g1',
    name: 'Co quan chung thuc so Bo Tai chinh',
    sha256: 'A262CFA489DBBE666F8B89FAB832547809874D5A06FA9F7A38FC227EBDF40514',
    role: 'intermediate',
    generation: 'G1',
    issuerId: 'vgca-root-g1',
    publicationUrl: `${VGCA_PUB}/cert/btc.crt`,
    publicationUrlConfirmed: true,
    sha1Signed: true,
    optional: false,
    notBefore: '2010-03-10T05:53:17Z',
    notAfter: '2030-03-04T05:53:17Z',
    evidence: 'two public copies identical; a real 2020 tax-office signer verifies through it; no independent pin',
  },
  {
    id: 'vgca-bca-g1',
    name: 'Co quan chung thuc so Bo Cong an',
    sha256: 'ECBF8428266C549EB1BFDC2715270D5B9DFF3BBBE2D3F0C33E0FD91F70B2D943',
    role: 'intermediate',
    generation: 'G1',
    issuerId: 'vgca-root-g1',
    publicationUrlConfirmed: false,
    sha1Signed: true,
    optional: false,
    notBefore: '2010-04-15T09:09:51Z',
    notAfter: '2030-03-04T09:09:51Z',
    evidence: 'two public copies (decompiled VGCA tool) identical; verifies under Root G1; no independent pin',
  },
  {
    id: 'vgca-bng-g1',
    name: 'Cơ quan chứng thực số Bộ Ngoại giao',
    sha256: '3C4281296F92D292CC952295FE41AD7D0B37438FF1D143B56C4642CC1B14BD93',
    role: 'intermediate',
    generation: 'G1',
    issuerId: 'vgca-root-g1',
    publicationUrlConfirmed: false,
    sha1Signed: true,
    optional: false,
    notBefore: '2016-04-07T09:48:02Z',
    notAfter: '2029-12-15T09:48:02Z',
    evidence: 'two public copies (decompiled VGCA tool) identical; verifies under Root G1; no independent pin',
  },
  {
    id: 'vn-national-root-ca',
    name: 'Vietnam National Root CA',
    sha256: 'BAC8BF609AB420A8EE1780D74F4DE5C7F7184959D2A7375B0A75E4C29F0908E7',
    role: 'root',
    generation: 'national',
    // A PKCS#7 bundle; the store takes the pinned certificate out of it.
    publicationUrl: 'https://rootca.gov.vn/crt/vnrca256.p7b',
    publicationUrlConfirmed: false,
    sha1Signed: false,
    optional: false,
    notBefore: '2014-04-15T16:29:20Z',
    notAfter: '2039-04-15T16:29:20Z',
    evidence: 'two public copies identical; pin published by one of them (weak); not checked against rootca.gov.vn',
  },
  {
    id: 'vn-mic-national-root-ca-2008',
    name: 'MIC National Root CA',
    sha256: 'CA918D635BB130BEC97639E6AABF7EDBC4EB1310F8058B9419F467AE0230AD8C',
    role: 'root',
    generation: 'national',
    publicationUrlConfirmed: false,
    sha1Signed: true,
    optional: true,
    notBefore: '2008-05-16T01:12:49Z',
    notAfter: '2040-05-16T01:20:32Z',
    evidence: 'two public copies identical; the old VNPT/Viettel/FPT/Bkav sub-CAs verify under it; no independent pin',
  },
] satisfies PinnedAnchor[]);

const BY_SHA256 = new Map(PINNED_ANCHORS.map((a) => [a.sha256, a]));
const BY_ID = new Map(PINNED_ANCHORS.map((a) => [a.id, a]));

/** Upper-case hex SHA-256 of DER bytes: the form pins are written in. */
export const sha256Hex = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex').toUpperCase();

/** Accepts any case and the colon-separated form openssl prints. */
export function pinBySha256(hex: string): PinnedAnchor | undefined {
  return BY_SHA256.get(hex.replace(/:/g, '').toUpperCase());
}

export const pinById = (id: string): PinnedAnchor | undefined => BY_ID.get(id);

export const pinOf = (der: Uint8Array): PinnedAnchor | undefined => BY_SHA256.get(sha256Hex(der));

/** The publication URLs of the pins, each once, roots first (so a path can be built as soon as possible). */
export function publicationUrls(includeOptional = false): string[] {
  const list = PINNED_ANCHORS.filter((a) => a.publicationUrl && (includeOptional || !a.optional));
  list.sort((a, b) => (a.role === b.role ? 0 : a.role === 'root' ? -1 : 1));
  return [...new Set(list.map((a) => a.publicationUrl!))];
}
