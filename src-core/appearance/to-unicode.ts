/**
 * A /ToUnicode CMap (ISO 32000-1 §9.10.3, Adobe TN 5411) for a 2-byte Identity-H font: it is what
 * turns glyph ids back into "Nguyễn Văn Đức" when text is copied, searched or read aloud.
 */

/** UTF-16BE hex of a string (surrogate pairs kept, as the CMap format wants). */
function utf16Hex(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += s.charCodeAt(i).toString(16).padStart(4, '0');
  return out.toUpperCase();
}

/** `cids` maps each 2-byte code (= subset glyph id) to the text it stands for. */
export function toUnicodeCMap(cids: ReadonlyMap<number, string>): string {
  const entries = [...cids].filter(([, text]) => text.length > 0).sort((a, b) => a[0] - b[0]);
  const lines = [
    '/CIDInit /ProcSet findresource begin',
    '12 dict begin',
    'begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
    '/CMapName /Adobe-Identity-UCS def',
    '/CMapType 2 def',
    '1 begincodespacerange',
    '<0000> <FFFF>',
    'endcodespacerange',
  ];
  // At most 100 entries per bfchar block (the CMap format's limit).
  for (let i = 0; i < entries.length; i += 100) {
    const block = entries.slice(i, i + 100);
    lines.push(`${block.length} beginbfchar`);
    for (const [cid, text] of block) {
      lines.push(`<${cid.toString(16).padStart(4, '0').toUpperCase()}> <${utf16Hex(text)}>`);
    }
    lines.push('endbfchar');
  }
  lines.push('endcmap', 'CMapName currentdict /CMap defineresource pop', 'end', 'end');
  return `${lines.join('\n')}\n`;
}
