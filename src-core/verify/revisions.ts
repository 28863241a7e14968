/**
 * Revision boundaries: where each incremental update ends (just after its %%EOF and end-of-line).
 * A signature covers a revision when its byte range ends exactly at one of these points.
 */
import type { PdfReader } from '../pdf/reader.js';

export interface RevisionBoundary {
  /** Index in reader.sections (0 = newest). */
  section: number;
  /** Offset just after "%%EOF" (and its EOL, if any). */
  end: number;
  /** Offset right after "%%EOF" without the EOL. */
  eofEnd: number;
}

export function revisionBoundaries(reader: PdfReader): RevisionBoundary[] {
  const out: RevisionBoundary[] = [];
  reader.sections.forEach((s, i) => {
    const window = reader.src.read(s.end, 256).toString('latin1');
    const m = /^\s*startxref\s+\d+\s*%%EOF/.exec(window);
    if (!m) return;
    const eofEnd = s.end + m[0].length;
    let end = eofEnd;
    const next = reader.src.read(eofEnd, 2).toString('latin1');
    if (next.startsWith('\r\n')) end += 2;
    else if (next.startsWith('\n') || next.startsWith('\r')) end += 1;
    out.push({ section: i, end, eofEnd });
  });
  return out;
}
