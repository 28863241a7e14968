// The reference server with the real engine inspector (src-server/domain/engine-inspector.ts):
// signed files made by our signer are accepted; a forged signature, a wrong signer, a rewritten
// file and an organisation signature without a competent one are refused — no stand-in.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, type Harness } from '../helpers/server-harness.js';
import { createTestPki, type TestIdentity, type TestPki } from '../helpers/pki.js';
import { softwareSigner } from '../helpers/software-signer.js';
import { runOk } from '../helpers/run.js';
import { engineInspector } from '../../src-server/domain/engine-inspector.js';
import { bindCertificate } from '../../src-server/domain/accounts.js';
import { signDocument } from '../../src-core/sign/sign-document.js';
import { appendSignedRevision } from '../../src-core/sign/pdf-signer.js';

let h: Harness;
let pki: TestPki;
let dir: string;

before(async () => {
  h = await startHarness('sqlite', { inspector: engineInspector });
  pki = await createTestPki();
  dir = await mkdtemp(join(tmpdir(), 'kyso-real-upload-'));
  await bindCertificate(h.db, { userId: h.users.duc, certDer: pki.person.certDer, kind: 'personal' });
  await bindCertificate(h.db, { userId: h.users.lan, certDer: pki.organisation.certDer, kind: 'organisation' });
});
after(async () => {
  await h?.close();
  await pki?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function fetchContent(token: string, id: string): Promise<Buffer> {
  const r = await h.http('GET', `/api/v1/documents/${id}/content`, { token });
  assert.equal(r.status, 200);
  return r.body;
}

async function signed(prior: Buffer, id: TestIdentity, tag: string): Promise<Buffer> {
  const input = join(dir, `${tag}-in.pdf`);
  const output = join(dir, `${tag}-out.pdf`);
  await writeFile(input, prior);
  await signDocument({
    input,
    output,
    signer: softwareSigner(id, [pki.issuing]),
    level: 'B-B',
    placement: { signingTime: new Date() },
  });
  return readFile(output);
}

async function upload(token: string, id: string, body: Buffer, version = '1') {
  return h.http('POST', `/api/v1/documents/${id}/signed`, {
    token,
    headers: {
      'content-type': 'application/pdf',
      'if-match': version,
      'idempotency-key': randomBytes(8).toString('hex'),
    },
    body,
  });
}

test('a real signature by the assigned leader is accepted, then the clerk issues it', async () => {
  const doc = await h.createDoc({ steps: [[['duc', 'approval']], [['lan', 'issue']]] });
  const duc = await h.login('duc');
  const r = await upload(duc, doc.id, await signed(await fetchContent(duc, doc.id), pki.person, 'ok'));
  assert.equal(r.status, 201, r.body.toString());
  const lan = await h.login('lan');
  const num = await h.http('POST', `/api/v1/documents/${doc.id}/issue-number`, { token: lan });
  assert.ok(num.status === 200 || num.status === 201, num.body.toString());
  const prior = await fetchContent(lan, doc.id);
  const issued = await upload(lan, doc.id, await signed(prior, pki.organisation, 'issue'), '2');
  assert.equal(issued.status, 201, issued.body.toString());
});

test('a forged signature (garbage /Contents) is refused', async () => {
  const doc = await h.createDoc({ steps: [[['duc', 'approval']]] });
  const duc = await h.login('duc');
  const input = join(dir, 'forged-in.pdf');
  await writeFile(input, await fetchContent(duc, doc.id));
  const output = join(dir, 'forged-out.pdf');
  await appendSignedRevision(
    input,
    output,
    { kind: 'sig', signingTime: new Date() },
    { hash: 'SHA-256', maxBytes: 600, produce: async () => randomBytes(500) },
  );
  const r = await upload(duc, doc.id, await readFile(output));
  assert.equal(r.status, 422, r.body.toString());
  assert.equal((JSON.parse(r.body.toString()) as { code: string }).code, 'SIGNATURE_INVALID');
});

test('a valid signature by someone else is refused', async () => {
  const doc = await h.createDoc({ steps: [[['duc', 'approval']]] });
  const duc = await h.login('duc');
  const r = await upload(duc, doc.id, await signed(await fetchContent(duc, doc.id), pki.personEc, 'wrong'));
  assert.equal(r.status, 422, r.body.toString());
  assert.equal((JSON.parse(r.body.toString()) as { code: string }).code, 'WRONG_SIGNER');
});

test('a rewritten (non-prefix) file is refused', async () => {
  const doc = await h.createDoc({ steps: [[['duc', 'approval']]] });
  const duc = await h.login('duc');
  const good = await signed(await fetchContent(duc, doc.id), pki.person, 'rewrite');
  const a = join(dir, 'rw-a.pdf');
  const b = join(dir, 'rw-b.pdf');
  await writeFile(a, good);
  await runOk('qpdf', [a, b]);
  const r = await upload(duc, doc.id, await readFile(b));
  assert.equal(r.status, 422, r.body.toString());
});

test('an organisation signature without a competent signature first is refused', async () => {
  const doc = await h.createDoc({ steps: [[['lan', 'issue']]] });
  const lan = await h.login('lan');
  const r = await upload(lan, doc.id, await signed(await fetchContent(lan, doc.id), pki.organisation, 'org-first'));
  assert.equal(r.status, 422, r.body.toString());
  assert.equal((JSON.parse(r.body.toString()) as { code: string }).code, 'COMPETENT_SIGNATURE_MISSING');
});
