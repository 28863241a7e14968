// The token bar's decisions: PIN state from the token flags, which certificate signs, and the
// expiry warning under 30 days.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateSummary, TokenSummary } from '../../src-shared/api/token-types.js';
import type { TokenState } from '../../src-shared/api/ui-types.js';
import { daysLeft, expiryState } from '../../src-renderer/lib/format.js';
import { activeChoice, pinLevel, presentTokens, signingCertificates } from '../../src-renderer/lib/tokens.js';

const pin = { initialized: true, countLow: false, finalTry: false, locked: false, pinPad: false };

function cert(id: string, kind: 'personal' | 'organisation', usable = true): CertificateSummary {
  return {
    id,
    label: id,
    subject: { commonName: `CN ${id}`, ids: [] },
    subjectDn: '',
    issuerDn: '',
    issuerCommonName: '',
    serialNumber: id,
    notBefore: '2025-01-01T00:00:00Z',
    notAfter: '2028-01-01T00:00:00Z',
    keyAlgorithm: 'RSA-2048',
    keyUsage: [],
    extendedKeyUsage: [],
    sha256: `SHA${id}`,
    kind,
    hasPrivateKey: true,
    usable,
    problems: [],
    isCa: false,
  };
}

function state(certs: CertificateSummary[], p = pin): TokenState {
  const token: TokenSummary = {
    modulePath: '/lib.so',
    slotId: '01',
    slotDescription: '',
    label: 'VGCA',
    manufacturer: '',
    model: '',
    serialNumber: 'S1',
    pin: p,
    certificates: certs,
  };
  return {
    modules: [{ path: '/lib.so', vendor: '', source: 'environment', loaded: true, tokens: [token] }],
    readAt: '',
  };
}

test('PIN levels, most serious first', () => {
  assert.equal(pinLevel(pin), 'ok');
  assert.equal(pinLevel({ ...pin, countLow: true }), 'countLow');
  assert.equal(pinLevel({ ...pin, countLow: true, finalTry: true }), 'finalTry');
  assert.equal(pinLevel({ ...pin, countLow: true, locked: true }), 'locked');
  assert.equal(pinLevel({ ...pin, pinPad: true }), 'pad');
});

test('signing certificates: usable ones, personal first; the chosen one, else the login one', () => {
  const s = state([cert('04', 'organisation'), cert('01', 'personal'), cert('09', 'personal', false)]);
  assert.deepEqual(
    signingCertificates(s).map((c) => c.cert.id),
    ['01', '04'],
  );
  assert.equal(activeChoice(s, null, null)?.cert.id, '01');
  assert.equal(activeChoice(s, '04', null)?.cert.id, '04');
  assert.equal(activeChoice(s, null, 'sha04')?.cert.id, '04', 'the certificate used to sign in, case-insensitive');
  assert.equal(activeChoice(state([]), null, null), null);
  assert.equal(presentTokens(null).length, 0);
});

test('expiry: a warning under 30 days, expired after', () => {
  const now = Date.parse('2026-12-04T00:00:00Z');
  assert.equal(expiryState('2027-06-01T00:00:00Z', now), 'ok');
  assert.equal(expiryState('2026-12-30T00:00:00Z', now), 'soon');
  assert.equal(daysLeft('2026-12-30T00:00:00Z', now), 26);
  assert.equal(expiryState('2026-12-01T00:00:00Z', now), 'expired');
});
