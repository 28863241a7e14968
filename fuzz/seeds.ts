/**
 * Seed corpus: real files from several producers, plus signed ones (our signer, B-B), one of them
 * certified, and a pdf-lib form whose signature locks a field (FieldMDP) with a later form fill.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestPki } from '../test/helpers/pki.js';
import { makeFixtures, makePdfLibForm } from '../test/helpers/pdf-fixtures.js';
import { fillTextField } from '../test/helpers/attack-corpus.js';
import { softwareSigner } from '../test/helpers/software-signer.js';
import { signDocument } from '../src-core/sign/sign-document.js';

export async function makeSeeds(dir: string): Promise<Buffer[]> {
  const pki = await createTestPki({ parentDir: dir });
  const fx = await makeFixtures(
    [
      'ghostscript',
      'mupdf',
      'qpdf-objstm',
      'qpdf-linearized',
      'qpdf-aes256',
      'qpdf-rc4',
      'rotated',
      'signed-by-poppler',
    ],
    { signer: pki.personRsa3072 },
  );
  const seeds: Buffer[] = [];
  for (const f of Object.values(fx.files)) seeds.push(await readFile(f));
  for (const name of ['ghostscript', 'qpdf-objstm'] as const) {
    const out = join(dir, `seed-signed-${name}.pdf`);
    await signDocument({
      input: fx.files[name]!,
      output: out,
      signer: softwareSigner(pki.person, [pki.issuing]),
      level: 'B-B',
      placement: { signingTime: new Date(), pageIndex: 0, rect: [300, 100, 500, 150] },
      certify: name === 'ghostscript' ? 2 : undefined,
    });
    seeds.push(await readFile(out));
  }
  const locked = join(dir, 'seed-fieldmdp.pdf');
  await signDocument({
    input: await makePdfLibForm(dir),
    output: locked,
    signer: softwareSigner(pki.person, [pki.issuing]),
    level: 'B-B',
    placement: { signingTime: new Date(), lockFields: { action: 'Include', fields: ['so_ky_hieu'], p: 2 } },
  });
  const filled = join(dir, 'seed-fieldmdp-filled.pdf');
  await fillTextField(locked, filled, 'ghi_chu', 'Đồng ý');
  seeds.push(await readFile(filled));
  return seeds;
}
