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
