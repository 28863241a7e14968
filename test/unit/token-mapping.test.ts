import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync, verify } from 'node:crypto';
import { CKR, CKR_NAMES, ckrName, errorFromCkr } from '../../src-core/token/ckr.js';
import { CKF, pinIncorrectError, pinStateFromFlags } from '../../src-core/token/pin-state.js';
import { CKM, ecdsaRawToDer, planMechanism } from '../../src-core/token/mechanisms.js';
import { discoverModules, loadDriverList } from '../../src-core/token/module-discovery.js';
import { en, vi } from '../../src-shared/i18n/messages.js';

test('token failures that users confuse each get their own error code', () => {
  const codes = [
    CKR.PIN_INCORRECT,
    CKR.PIN_LOCKED,
    CKR.DEVICE_REMOVED,
    CKR.TOKEN_NOT_PRESENT,
    CKR.FUNCTION_FAILED,
    CKR.DEVICE_ERROR,
    CKR.SESSION_HANDLE_INVALID,
    CKR.USER_NOT_LOGGED_IN,
    CKR.MECHANISM_INVALID,
    CKR.PIN_EXPIRED,
    CKR.PIN_LEN_RANGE,
    CKR.FUNCTION_CANCELED,
    CKR.KEY_FUNCTION_NOT_PERMITTED,
  ];
  const mapped = codes.map((c) => errorFromCkr(c).code);
  assert.equal(new Set(mapped).size, mapped.length, mapped.join(','));
  assert.notEqual(errorFromCkr(CKR.FUNCTION_FAILED).code, 'PIN_INCORRECT');
});

test('every CKR value has a name; unknown and vendor codes are still named', () => {
  assert.equal(ckrName(0xa0), 'CKR_PIN_INCORRECT (0xA0)');
  assert.match(ckrName(0x80000123), /^CKR_VENDOR_DEFINED\+123/);
  assert.match(ckrName(0x7777), /^CKR 0x7777$/);
  for (const [code, name] of Object.entries(CKR_NAMES)) assert.match(name, /^CKR_/, code);
  const unknown = errorFromCkr(0x21);
  assert.equal(unknown.code, 'TOKEN_ERROR');
  assert.equal(unknown.params.ckr, 'CKR_DATA_LEN_RANGE (0x21)');
});

test('every error message key exists in Vietnamese and English', () => {
  for (const c of Object.keys(CKR_NAMES).map(Number)) {
    const e = errorFromCkr(c);
    assert.ok(vi[e.messageKey] && en[e.messageKey], e.messageKey);
  }
});

test('PIN flags: count low, final try, locked, PIN pad', () => {
  const s = pinStateFromFlags(CKF.USER_PIN_INITIALIZED | CKF.USER_PIN_COUNT_LOW | CKF.PROTECTED_AUTHENTICATION_PATH);
  assert.deepEqual(s, { initialized: true, countLow: true, finalTry: false, locked: false, pinPad: true });
  assert.equal(pinIncorrectError(s).messageKey, 'error.pinIncorrectLow');
  assert.equal(pinIncorrectError(pinStateFromFlags(CKF.USER_PIN_FINAL_TRY)).messageKey, 'error.pinIncorrectFinal');
  assert.equal(pinIncorrectError(pinStateFromFlags(CKF.USER_PIN_LOCKED)).code, 'PIN_LOCKED');
  assert.equal(pinIncorrectError(pinStateFromFlags(0)).messageKey, 'error.pinIncorrectUnknown');
});

test('mechanism choice follows the token list; DigestInfo for raw RSA', () => {
  assert.equal(
    planMechanism('RSA', 'RSA-PKCS1', 'SHA-256', [CKM.RSA_PKCS, CKM.SHA256_RSA_PKCS]).mechanism,
    CKM.SHA256_RSA_PKCS,
  );
  const raw = planMechanism('RSA', 'RSA-PKCS1', 'SHA-256', [CKM.RSA_PKCS]);
  assert.equal(raw.mechanism, CKM.RSA_PKCS);
  const di = raw.prepare(Buffer.from('abc'));
  assert.equal(di.subarray(0, 19).toString('hex'), '3031300d060960864801650304020105000420');
  assert.equal(di.length, 51);
  assert.equal(planMechanism('EC', 'ECDSA', 'SHA-384', [CKM.ECDSA]).prepare(Buffer.from('x')).length, 48);
  assert.throws(() => planMechanism('RSA', 'RSA-PSS', 'SHA-256', [CKM.RSA_PKCS]), /MECHANISM_UNSUPPORTED/);
});

test('ECDSA r||s → DER matches what node produces (leading zeros and high bits)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  for (let i = 0; i < 200; i++) {
    const data = Buffer.from(`msg ${i}`);
    const p1363 = createSign('sha256').update(data).sign({ key: privateKey, dsaEncoding: 'ieee-p1363' });
    const der = ecdsaRawToDer(p1363);
    assert.equal(verify('sha256', data, publicKey, der), true);
  }
});

test('driver list: every vendor from the rules is present; discovery order and dedupe', () => {
  const list = loadDriverList();
  const vendors = list.drivers.map((d) => d.vendor).join('|');
  for (const v of [
    'Bit4id',
    'SafeNet',
    'Feitian',
    'VNPT',
    'Viettel',
    'Bkav',
    'FPT',
    'CA2',
    'Vina-CA',
    'Nacencomm',
    'OpenSC',
  ]) {
    assert.match(vendors, new RegExp(v), v);
  }
  const found = discoverModules({
    env: { KYSO_PKCS11_MODULE: '/opt/x/libenv.so' },
    configured: ['/opt/conf.so'],
    platform: 'win32',
    driverList: list,
    exists: (p) => p.endsWith('bit4xpki.dll') || p.endsWith('viettel-ca_v6.dll'),
  });
  assert.deepEqual(
    found.map((f) => f.source),
    ['environment', 'configured', 'driver-list', 'driver-list', 'driver-list', 'driver-list'].slice(0, found.length),
  );
  assert.equal(found[0]!.path, '/opt/x/libenv.so');
  assert.ok(found.some((f) => f.vendor.includes('Bit4id')));
  assert.ok(found.some((f) => f.vendor === 'Viettel-CA'));
  assert.deepEqual(
    discoverModules({ explicit: ['/a.so'] }).map((f) => f.path),
    ['/a.so'],
  );
});
