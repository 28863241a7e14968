/**
 * What `kyso demo` needs besides the reference server: a demo certificate authority with a
 * certificate for the demo leader (Nguyễn Văn Đức, Thứ trưởng) and one for the organisation
 * (Bộ Tài chính, used by the clerk), a SoftHSM2 token holding both keys, and sample signature
 * and seal images. Everything lives in the demo's data folder and is made once.
 *
 * These certificates are for demonstration only: their root is trusted only by the demo's own
 * settings, never by a real deployment.
 */
import { spawnSync } from 'node:child_process';
import { createHash, webcrypto } from 'node:crypto';
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { loadModule, pkcs11js } from '../token/pkcs11-module.js';
import { ensureDir, writeFileAtomic } from './data-dir.js';

export const DEMO_PIN = '123456';
const DEMO_SO_PIN = '12345678';
export const DEMO_TOKEN_LABEL = 'Ky So Demo';

const SOFTHSM_CANDIDATES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib64/pkcs11/libsofthsm2.so',
  '/usr/lib64/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
  '/opt/homebrew/lib/softhsm/libsofthsm2.so',
  'C:\\SoftHSM2\\lib\\softhsm2-x64.dll',
];

export function findSoftHsm(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.SOFTHSM2_MODULE) return existsSync(env.SOFTHSM2_MODULE) ? env.SOFTHSM2_MODULE : null;
  return SOFTHSM_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

// ---- demo PKI ------------------------------------------------------------------------------------

export interface DemoIdentity {
  certDer: Buffer;
  keyPem: string;
}

export interface DemoPki {
  rootPemPath: string;
  leader: DemoIdentity;
  organisation: DemoIdentity;
}

const OID = {
  cn: '2.5.4.3',
  title: '2.5.4.12',
  o: '2.5.4.10',
  l: '2.5.4.7',
  c: '2.5.4.6',
  uid: '0.9.2342.19200300.100.1.1',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  ski: '2.5.29.14',
  aki: '2.5.29.35',
};

type NameParts = Array<[string, string]>;
const engine = new pkijs.CryptoEngine({
  name: 'node',
  crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'],
});

/** One attribute per RDN, UTF8String (PrintableString for C), as VGCA writes names. */
function nameOf(parts: NameParts): pkijs.RelativeDistinguishedNames {
  const der = new asn1js.Sequence({
    value: parts.map(
      ([type, v]) =>
        new asn1js.Set({
          value: [
            new pkijs.AttributeTypeAndValue({
              type,
              value: type === OID.c ? new asn1js.PrintableString({ value: v }) : new asn1js.Utf8String({ value: v }),
            }).toSchema(),
          ],
        }),
    ),
  }).toBER(false);
  return pkijs.RelativeDistinguishedNames.fromBER(der);
}

const ext = (extnID: string, critical: boolean, v: asn1js.BaseBlock): pkijs.Extension =>
  new pkijs.Extension({ extnID, critical, extnValue: v.toBER(false) });

/** keyUsage bits: digitalSignature 0, nonRepudiation 1, keyCertSign 5, cRLSign 6. */
function keyUsage(bits: number[]): asn1js.BitString {
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b % 8);
  return new asn1js.BitString({ valueHex: bytes, unusedBits: bytes.length * 8 - (highest + 1) });
}

const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

async function spkiOf(key: CryptoKey): Promise<pkijs.PublicKeyInfo> {
  return pkijs.PublicKeyInfo.fromBER(new Uint8Array(await webcrypto.subtle.exportKey('spki', key)));
}

const keyId = (spki: pkijs.PublicKeyInfo): Uint8Array =>
  new Uint8Array(createHash('sha1').update(spki.subjectPublicKey.valueBlock.valueHexView).digest());

async function makeCert(o: {
  serial: number;
  subject: pkijs.RelativeDistinguishedNames;
  issuer: pkijs.RelativeDistinguishedNames;
  spki: pkijs.PublicKeyInfo;
  issuerKeyId: Uint8Array;
  signingKey: CryptoKey;
  ca: boolean;
  notAfter: Date;
}): Promise<Buffer> {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: o.serial });
  cert.subject = o.subject;
  cert.issuer = o.issuer;
  cert.notBefore = new pkijs.Time({
    type: 0,
    value: new Date(Math.floor(Date.now() / 1000) * 1000 - 24 * 3600 * 1000),
  });
  cert.notAfter = new pkijs.Time({ type: 0, value: o.notAfter });
  cert.subjectPublicKeyInfo = o.spki;
  cert.extensions = [
    ext(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: o.ca }).toSchema()),
    ext(OID.keyUsage, true, keyUsage(o.ca ? [5, 6] : [0, 1])),
    ext(OID.ski, false, new asn1js.OctetString({ valueHex: keyId(o.spki) })),
    ext(
      OID.aki,
      false,
      new pkijs.AuthorityKeyIdentifier({
        keyIdentifier: new asn1js.OctetString({ valueHex: o.issuerKeyId }),
      }).toSchema(),
    ),
  ];
  await cert.sign(o.signingKey, 'SHA-256', engine);
  return Buffer.from(cert.toSchema().toBER(false));
}

/** Creates (once) the demo CA and the two signing certificates. */
export async function demoPki(dir: string): Promise<DemoPki> {
  ensureDir(dir);
  const paths = {
    root: join(dir, 'demo-root.pem'),
    leader: join(dir, 'leader.der'),
    leaderKey: join(dir, 'leader.key.pem'),
    org: join(dir, 'organisation.der'),
    orgKey: join(dir, 'organisation.key.pem'),
  };
  if (Object.values(paths).every((p) => existsSync(p))) {
    return {
      rootPemPath: paths.root,
      leader: { certDer: readFileSync(paths.leader), keyPem: readFileSync(paths.leaderKey, 'utf8') },
      organisation: { certDer: readFileSync(paths.org), keyPem: readFileSync(paths.orgKey, 'utf8') },
    };
  }
  const years = (n: number): Date => new Date(Math.floor(Date.now() / 1000) * 1000 + n * 365 * 24 * 3600 * 1000);
  const rootKeys = await keyPair();
  const rootSpki = await spkiOf(rootKeys.publicKey);
  const rootName = nameOf([
    [OID.c, 'VN'],
    [OID.o, 'Ký Số Demo'],
    [OID.cn, 'Ký Số Demo Root CA (chỉ dùng để trình diễn)'],
  ]);
  const rootDer = await makeCert({
    serial: 1,
    subject: rootName,
    issuer: rootName,
    spki: rootSpki,
    issuerKeyId: keyId(rootSpki),
    signingKey: rootKeys.privateKey,
    ca: true,
    notAfter: years(10),
  });
  const leaf = async (serial: number, subject: NameParts): Promise<DemoIdentity> => {
    const keys = await keyPair();
    const certDer = await makeCert({
      serial,
      subject: nameOf(subject),
      issuer: rootName,
      spki: await spkiOf(keys.publicKey),
      issuerKeyId: keyId(rootSpki),
      signingKey: rootKeys.privateKey,
      ca: false,
      notAfter: years(3),
    });
    return { certDer, keyPem: await pkcs8Pem(keys.privateKey) };
  };
  const leader = await leaf(1001, [
    [OID.c, 'VN'],
    [OID.l, 'Hà Nội'],
    [OID.o, 'Bộ Tài chính'],
    [OID.title, 'Thứ trưởng'],
    [OID.cn, 'Nguyễn Văn Đức'],
    [OID.uid, 'CCCD:001085012345'],
  ]);
  const organisation = await leaf(1002, [
    [OID.c, 'VN'],
    [OID.l, 'Hà Nội'],
    [OID.o, 'Bộ Tài chính'],
    [OID.cn, 'Bộ Tài chính'],
    [OID.uid, 'MST:0100100079'],
  ]);
  const pem = `-----BEGIN CERTIFICATE-----\n${rootDer.toString('base64').replace(/.{64}/g, '$&\n').trimEnd()}\n-----END CERTIFICATE-----\n`;
  await writeFileAtomic(paths.root, pem);
  await writeFileAtomic(paths.leader, leader.certDer);
  await writeFileAtomic(paths.leaderKey, leader.keyPem);
  await writeFileAtomic(paths.org, organisation.certDer);
  await writeFileAtomic(paths.orgKey, organisation.keyPem);
  return { rootPemPath: paths.root, leader, organisation };
}

// ---- SoftHSM demo token --------------------------------------------------------------------------

export interface DemoToken {
  module: string;
  confPath: string;
  pin: string;
}

/**
 * A SoftHSM2 token in `dir` with both demo keys and certificates. Sets SOFTHSM2_CONF in `env`
 * (and process.env) before the module is loaded in this process: SoftHSM reads it at C_Initialize.
 */
export async function demoToken(dir: string, pki: DemoPki, env: NodeJS.ProcessEnv): Promise<DemoToken | null> {
  const module = findSoftHsm(env);
  if (!module || !hasTool('softhsm2-util')) return null;
  const tokenDir = ensureDir(join(dir, 'tokens'));
  const confPath = join(dir, 'softhsm2.conf');
  await writeFileAtomic(
    confPath,
    `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  env.SOFTHSM2_CONF = confPath;
  process.env.SOFTHSM2_CONF = confPath;
  const childEnv = { ...process.env, SOFTHSM2_CONF: confPath };
  const fresh = readdirSync(tokenDir).length === 0;
  if (fresh) {
    run(
      'softhsm2-util',
      ['--init-token', '--free', '--label', DEMO_TOKEN_LABEL, '--so-pin', DEMO_SO_PIN, '--pin', DEMO_PIN],
      childEnv,
    );
    for (const [id, label, who] of [
      ['01', 'Nguyễn Văn Đức', pki.leader],
      ['02', 'Bộ Tài chính', pki.organisation],
    ] as const) {
      const keyPath = join(dir, `import-${id}.pem`);
      await writeFileAtomic(keyPath, who.keyPem);
      try {
        run(
          'softhsm2-util',
          ['--import', keyPath, '--token', DEMO_TOKEN_LABEL, '--id', id, '--label', label, '--pin', DEMO_PIN],
          childEnv,
        );
      } finally {
        rmSync(keyPath, { force: true });
      }
    }
  }
  // Certificates go in through PKCS#11 itself (softhsm2-util imports keys only).
  const mod = loadModule(module);
  const c = pkcs11js();
  const slot = mod.p11.C_GetSlotList(true).find((s) => mod.p11.C_GetTokenInfo(s).label.trim() === DEMO_TOKEN_LABEL);
  if (!slot) return null;
  const session = mod.p11.C_OpenSession(slot, c.CKF_SERIAL_SESSION | c.CKF_RW_SESSION);
  try {
    mod.p11.C_Login(session, c.CKU_USER, DEMO_PIN);
    for (const [id, label, who] of [
      ['01', 'Nguyễn Văn Đức', pki.leader],
      ['02', 'Bộ Tài chính', pki.organisation],
    ] as const) {
      mod.p11.C_FindObjectsInit(session, [
        { type: c.CKA_CLASS, value: c.CKO_CERTIFICATE },
        { type: c.CKA_ID, value: Buffer.from(id, 'hex') },
      ]);
      const found = mod.p11.C_FindObjects(session, 1);
      mod.p11.C_FindObjectsFinal(session);
      if (found.length > 0) continue;
      const subject = pkijs.Certificate.fromBER(new Uint8Array(who.certDer)).subject.toSchema().toBER(false);
      mod.p11.C_CreateObject(session, [
        { type: c.CKA_CLASS, value: c.CKO_CERTIFICATE },
        { type: c.CKA_CERTIFICATE_TYPE, value: c.CKC_X_509 },
        { type: c.CKA_TOKEN, value: true },
        { type: c.CKA_ID, value: Buffer.from(id, 'hex') },
        { type: c.CKA_LABEL, value: label },
        { type: c.CKA_SUBJECT, value: Buffer.from(subject) },
        { type: c.CKA_VALUE, value: who.certDer },
      ]);
    }
    mod.p11.C_Logout(session);
  } finally {
    mod.p11.C_CloseSession(session);
  }
  return { module, confPath, pin: DEMO_PIN };
}

function hasTool(cmd: string): boolean {
  return spawnSync(cmd, ['--help'], { stdio: 'ignore' }).error === undefined;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): void {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args[0]} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
}

// ---- sample images (transparent PNGs) -------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** RGBA pixels → PNG (8-bit, filter 0), with a 300 dpi pHYs so sizes come out real. */
export function encodePng(w: number, h: number, rgba: Uint8Array): Buffer {
  const raw = Buffer.alloc((w * 4 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 4 + 1)] = 0;
    Buffer.from(rgba.buffer, rgba.byteOffset + y * w * 4, w * 4).copy(raw, y * (w * 4 + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  const phys = Buffer.alloc(9);
  phys.writeUInt32BE(11811, 0);
  phys.writeUInt32BE(11811, 4);
  phys[8] = 1;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('pHYs', phys),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function plot(
  px: Uint8Array,
  w: number,
  h: number,
  x: number,
  y: number,
  r: number,
  rgb: [number, number, number],
): void {
  for (let dy = -r; dy <= r; dy++)
    for (let dx = -r; dx <= r; dx++) {
      const xx = Math.round(x + dx);
      const yy = Math.round(y + dy);
      if (xx < 0 || yy < 0 || xx >= w || yy >= h || dx * dx + dy * dy > r * r) continue;
      const i = (yy * w + xx) * 4;
      px[i] = rgb[0];
      px[i + 1] = rgb[1];
      px[i + 2] = rgb[2];
      px[i + 3] = 255;
    }
}

/** A blue handwritten-looking signature stroke. */
export function demoSignaturePng(): Buffer {
  const w = 480;
  const h = 180;
  const px = new Uint8Array(w * h * 4);
  const ink: [number, number, number] = [20, 50, 170];
  for (let t = 0; t <= 1; t += 0.0004) {
    const x = 30 + t * 420;
    const y = 95 - 45 * Math.sin(t * Math.PI * 5) * Math.exp(-t * 1.2) + 20 * Math.sin(t * Math.PI * 17) * (1 - t);
    plot(px, w, h, x, y, 3, ink);
  }
  for (let t = 0; t <= 1; t += 0.001) plot(px, w, h, 60 + t * 380, 150 - t * 18, 2, ink);
  return encodePng(w, h, px);
}

/** A red round seal with a star (a stand-in: real seals come from the organisation). */
export function demoSealPng(): Buffer {
  const s = 420;
  const px = new Uint8Array(s * s * 4);
  const red: [number, number, number] = [210, 30, 35];
  const c = s / 2;
  for (let a = 0; a < Math.PI * 2; a += 0.002) {
    plot(px, s, s, c + Math.cos(a) * 196, c + Math.sin(a) * 196, 5, red);
    plot(px, s, s, c + Math.cos(a) * 150, c + Math.sin(a) * 150, 3, red);
  }
  for (let k = 0; k < 5; k++) {
    const a1 = -Math.PI / 2 + (k * 4 * Math.PI) / 5;
    const a2 = -Math.PI / 2 + ((k + 1) * 4 * Math.PI) / 5;
    for (let t = 0; t <= 1; t += 0.002) {
      const x = c + Math.cos(a1) * 90 * (1 - t) + Math.cos(a2) * 90 * t;
      const y = c + Math.sin(a1) * 90 * (1 - t) + Math.sin(a2) * 90 * t;
      plot(px, s, s, x, y, 4, red);
    }
  }
  return encodePng(s, s, px);
}
