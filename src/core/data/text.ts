/**
 * Bytes → text for the data pipeline: strict UTF-8 (a file with invalid bytes is reported line by line,
 * not silently repaired), BOM handling, and physical line numbering (\n, \r\n and lone \r all end a line).
 */

export interface DecodedText {
  text: string;
  hadBom: boolean;
  /** 1-based physical lines holding bytes that are not valid UTF-8. */
  invalidLines: number[];
}

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

export function decodeUtf8(bytes: Uint8Array): DecodedText {
  const hadBom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = hadBom ? bytes.subarray(3) : bytes;
  try {
    return { text: fatal.decode(body), hadBom, invalidLines: [] };
  } catch {
    // Locate the bad lines by decoding each physical line strictly; the text itself is decoded leniently
    // (U+FFFD) only so the rest of the file can still be parsed and its other problems listed.
    const invalidLines: number[] = [];
    let line = 1;
    let start = 0;
    const check = (end: number) => {
      try {
        fatal.decode(body.subarray(start, end));
      } catch {
        invalidLines.push(line);
      }
    };
    for (let i = 0; i < body.length; i++) {
      const b = body[i];
      if (b === 0x0a || (b === 0x0d && body[i + 1] !== 0x0a)) {
        check(i);
        line++;
        start = i + 1;
      }
    }
    check(body.length);
    return { text: lenient.decode(body), hadBom, invalidLines };
  }
}

// Windows-1252 bytes 0x80–0x9F (WHATWG encoding table); every other byte is its Latin-1 code point.
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/**
 * Windows-1252 bytes → text. Written out rather than TextDecoder('windows-1252'), which Node 20 decodes as
 * Latin-1 (0x80 → U+0080 instead of €); browsers and this agree.
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  const parts: string[] = [];
  const CHUNK = 8192;
  const buf = new Uint16Array(CHUNK);
  for (let i = 0; i < bytes.length; i += CHUNK) {
    const n = Math.min(CHUNK, bytes.length - i);
    for (let j = 0; j < n; j++) {
      const b = bytes[i + j];
      buf[j] = b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80] : b;
    }
    parts.push(String.fromCharCode(...buf.subarray(0, n)));
  }
  return parts.join('');
}

/** Maps increasing character offsets of a string to 1-based physical line numbers in one forward pass. */
export class LineCounter {
  private pos = 0;
  private line = 1;
  constructor(private readonly text: string) {}

  /** Line of the character at `offset`; offsets must not decrease between calls. */
  lineAt(offset: number): number {
    const t = this.text;
    const end = Math.min(offset, t.length);
    for (let i = this.pos; i < end; i++) {
      const c = t.charCodeAt(i);
      if (c === 10 || (c === 13 && t.charCodeAt(i + 1) !== 10)) this.line++;
    }
    if (end > this.pos) this.pos = end;
    return this.line;
  }
}

/** UTF-8 byte length of a string without allocating its encoding. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
