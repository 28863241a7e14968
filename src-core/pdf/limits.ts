/**
 * Bounds that keep a hostile PDF from hanging or exhausting the process. Generous for real
 * documents (600-page reports, 500 MB scans), small enough that a crafted file fails fast.
 */
export const LIMITS = {
  /** Nesting of arrays/dictionaries in one object. */
  maxDepth: 64,
  /** Elements in one array or dictionary. */
  maxCollection: 1_000_000,
  /** Bytes of one literal or hex string. */
  maxString: 32 * 1024 * 1024,
  /** Xref sections followed through /Prev. */
  maxXrefSections: 4096,
  /** Highest object number accepted (xref /Size). */
  maxObjects: 10_000_000,
  /** Decoded size of one object or xref stream. */
  maxDecodedStream: 256 * 1024 * 1024,
  /** Page tree depth and page count walked. */
  maxPageTreeDepth: 64,
  maxPages: 1_000_000,
  /** Reference chains followed when resolving (a → b → c …). */
  maxRefChain: 32,
} as const;
