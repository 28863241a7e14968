/**
 * Revocation data for B-LT (the DSS) and the validator: OCSP and CRLs, and the certificate
 * extensions that say where to find them. One entry point; the protocols live in ocsp.ts and crl.ts.
 */
export { buildOcspRequest, fetchOcsp, parseOcspResponse, verifyOcspResponse } from './ocsp.js';
export type { CertStatus, FetchOcspOptions, OcspCheckOptions, OcspResult, ParsedOcspResponse } from './ocsp.js';
export { fetchCrl, isRevokedInCrl, parseCrl } from './crl.js';
export type { CrlCheck, CrlEntry, ParsedCrl } from './crl.js';
export { caIssuersUrlsOf, crlUrlsOf, ocspUrlsOf } from './cert-urls.js';
