/**
 * Small builders for content-stream operators shared by the text and image helpers. Numbers never
 * use exponent notation (PDF has none: `1e-7` would be read as a name-like garbage token).
 */

/** An RGB colour with components in 0…1. */
export type Rgb = readonly [number, number, number];

/** Colours Decree 30 asks for: black text, blue handwritten signatures, red seals. */
export const INK: Readonly<Record<'black' | 'blue' | 'red', Rgb>> = {
  black: [0, 0, 0],
  blue: [0, 0.2, 0.6],
  red: [0.8, 0, 0],
};

/** A number for a content stream: at most `digits` decimals, no exponent, no "-0". */
export function num(n: number, digits = 3): string {
  // toFixed() itself switches to exponent notation from 1e21; nothing on a page is that large.
  if (!Number.isFinite(n) || Math.abs(n) >= 1e15) throw new Error(`cannot write ${n} in a content stream`);
  const s = n.toFixed(digits);
  const trimmed = s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  return trimmed === '-0' ? '0' : trimmed;
}

/** `#1f3a93` or `1f3a93` → Rgb. */
export function hexColour(hex: string): Rgb {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim());
  if (!m) throw new Error(`not an RGB hex colour: ${hex}`);
  return [parseInt(m[1]!, 16) / 255, parseInt(m[2]!, 16) / 255, parseInt(m[3]!, 16) / 255];
}

function component(c: number): string {
  return num(Math.min(1, Math.max(0, c)), 4);
}

export function fillColour(c: Rgb): string {
  return `${component(c[0])} ${component(c[1])} ${component(c[2])} rg`;
}

export function strokeColour(c: Rgb): string {
  return `${component(c[0])} ${component(c[1])} ${component(c[2])} RG`;
}

/** A /Resources key we write as a bare name: letters, digits and a few safe marks only. */
export function resourceName(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad resource name ${name}`);
  return name;
}

/** Paints an image XObject (unit square in its own space) into the box x, y, w, h. */
export function drawImage(name: string, x: number, y: number, w: number, h: number): string {
  resourceName(name);
  return `q ${num(w, 4)} 0 0 ${num(h, 4)} ${num(x, 4)} ${num(y, 4)} cm /${name} Do Q`;
}

/** A stroked rectangle (debug frames, borders of stamps). */
export function strokeRect(x: number, y: number, w: number, h: number, colour: Rgb, lineWidth = 0.5): string {
  return `q ${strokeColour(colour)} ${num(lineWidth)} w ${num(x)} ${num(y)} ${num(w)} ${num(h)} re S Q`;
}
