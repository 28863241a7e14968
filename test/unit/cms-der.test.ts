// The DER reader/writer under the CMS code: encodings checked against known bytes, SET OF sorting,
// BER input (indefinite lengths) accepted, and a property test that the reader only ever throws
// DerError, whatever the bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  children,
  DerError,
  integer,
  intHex,
  oid,
  parse,
  readIntegerHex,
  readNode,
  readOid,
  readSmallInt,
  readTime,
  setOf,
  tlv,
  toDefinite,
} from '../../src-core/cms/der.js';

test('OIDs encode and decode', () => {
  assert.equal(oid('1.2.840.113549.1.7.2').toString('hex'), '06092a864886f70d010702');
  assert.equal(oid('2.16.840.1.101.3.4.2.1').toString('hex'), '0609608648016503040201');
  assert.equal(readOid(parse(oid('1.2.840.113549.1.9.16.2.47'))), '1.2.840.113549.1.9.16.2.47');
  assert.equal(readOid(parse(oid('2.999.1'))), '2.999.1');
});

test('INTEGERs are minimal and positive', () => {
  assert.equal(integer(0).toString('hex'), '020100');
  assert.equal(integer(127).toString('hex'), '02017f');
  assert.equal(integer(128).toString('hex'), '02020080');
  assert.equal(integer(Buffer.from('0000ff', 'hex')).toString('hex'), '020200ff');
  assert.equal(integer(0x1122334455667788n).toString('hex'), '02081122334455667788');
  assert.equal(readIntegerHex(parse(integer(Buffer.from('00abcdef', 'hex')))), 'ABCDEF');
  assert.equal(intHex(Buffer.from('000001', 'hex')), '01');
  assert.equal(readSmallInt(parse(Buffer.from('0201ff', 'hex'))), -1);
  assert.equal(readSmallInt(parse(Buffer.from('02020100', 'hex'))), 256);
});

test('long lengths', () => {
  const body = Buffer.alloc(300, 1);
  const t = tlv(0x04, body);
  assert.equal(t.subarray(0, 4).toString('hex'), '0482012c');
  assert.equal(parse(t).contentEnd - parse(t).contentStart, 300);
});

test('SET OF is sorted by encoding, shorter prefix first', () => {
  const a = Buffer.from('0401ff', 'hex');
  const b = Buffer.from('040100', 'hex');
  const c = Buffer.from('0402ff00', 'hex');
  const s = setOf([a, c, b]);
  assert.equal(s.toString('hex'), '310a' + '040100' + '0401ff' + '0402ff00');
});

test('times: UTCTime century rule and GeneralizedTime fractions', () => {
  assert.equal(readTime(parse(tlv(0x17, Buffer.from('491231235959Z')))).toISOString(), '2049-12-31T23:59:59.000Z');
  assert.equal(readTime(parse(tlv(0x17, Buffer.from('500101000000Z')))).toISOString(), '1950-01-01T00:00:00.000Z');
  assert.equal(readTime(parse(tlv(0x18, Buffer.from('20251204103000.25Z')))).toISOString(), '2025-12-04T10:30:00.250Z');
  assert.throws(() => readTime(parse(tlv(0x17, Buffer.from('2512041030Z')))), DerError);
});

test('BER indefinite lengths are read and re-encoded definite', () => {
  // SEQUENCE (indefinite) { INTEGER 5, SEQUENCE (indefinite) { NULL } }
  const ber = Buffer.from('30800201053080050000000000', 'hex');
  const n = parse(ber);
  assert.equal(n.indefinite, true);
  assert.equal(children(n).length, 2);
  assert.equal(toDefinite(n).toString('hex'), '3007020105300205' + '00');
});

test('malformed input throws DerError only', () => {
  for (const hex of ['', '30', '3081', '3005020101', '308500000000', '0580', '1f', '30800201']) {
    assert.throws(() => parse(Buffer.from(hex, 'hex')), DerError, hex);
  }
  // Deep nesting does not blow the stack.
  const deep = Buffer.alloc(5000).fill(Buffer.from('3080', 'hex'));
  assert.throws(() => parse(deep), DerError);
});

test('property: reading random bytes either parses or throws DerError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
      const buf = Buffer.from(bytes);
      try {
        const walk = (o: number): void => {
          const n = readNode(buf, o);
          if (n.constructed) children(n).forEach((c) => c.constructed && children(c));
        };
        walk(0);
      } catch (e) {
        assert.ok(e instanceof DerError, String(e));
      }
    }),
    { numRuns: 2000 },
  );
});
