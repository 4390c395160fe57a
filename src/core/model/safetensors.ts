/**
 * safetensors reader/writer (format: 8-byte little-endian header length N, N bytes of JSON header,
 * then the raw little-endian tensor bytes; each header entry has dtype, shape, data_offsets [begin, end)
 * relative to the byte buffer after the header). See huggingface/safetensors docs.
 *
 * Reading converts F32 / F16 / BF16 to Float32Array (the engine trains in fp32); integer dtypes are
 * rejected with a clear message because no RoBERTa weight uses them.
 */

export type SafeDType = 'F32' | 'F16' | 'BF16';
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}
export interface SafetensorsFile {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const MAX_HEADER = 100 * 1024 * 1024;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Parse only the header: names, dtypes and shapes, without touching tensor bytes. */
export function readSafetensorsHeader(buf: ArrayBuffer | Uint8Array): {
  entries: Map<string, HeaderEntry>;
  metadata: Record<string, string>;
  dataStart: number;
} {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  if (bytes.byteLength < 8) throw new SafetensorsError(`File is ${bytes.byteLength} bytes: too short to be safetensors (needs an 8-byte header length).`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n > MAX_HEADER) throw new SafetensorsError(`Header length ${n} bytes is implausible (limit ${MAX_HEADER}); the file is not safetensors or is corrupt.`);
  if (8 + n > bytes.byteLength) throw new SafetensorsError(`Header says ${n} bytes but the file ends after ${bytes.byteLength - 8}: the file is truncated.`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new SafetensorsError(`Header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsError('Header is not a JSON object.');
  const dataStart = 8 + n;
  const dataLen = bytes.byteLength - dataStart;
  const entries = new Map<string, HeaderEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const e = raw as HeaderEntry;
    if (!e || typeof e.dtype !== 'string' || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2)
      throw new SafetensorsError(`Tensor "${name}": header entry needs dtype, shape and data_offsets.`);
    if (!(e.dtype in BYTES)) throw new SafetensorsError(`Tensor "${name}": unknown dtype ${e.dtype}.`);
    if (!e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new SafetensorsError(`Tensor "${name}": bad shape [${e.shape}].`);
    const [b, end] = e.data_offsets;
    const count = e.shape.reduce((a, d) => a * d, 1);
    if (!(Number.isInteger(b) && Number.isInteger(end) && b >= 0 && end >= b))
      throw new SafetensorsError(`Tensor "${name}": bad data_offsets [${b}, ${end}].`);
    if (end - b !== count * BYTES[e.dtype])
      throw new SafetensorsError(`Tensor "${name}": ${end - b} bytes stored but shape [${e.shape}] of ${e.dtype} needs ${count * BYTES[e.dtype]}.`);
    if (end > dataLen)
      throw new SafetensorsError(`Tensor "${name}" ends at byte ${end} of the data but the file holds only ${dataLen}: the file is truncated.`);
    entries.set(name, e);
  }
  return { entries, metadata, dataStart };
}

function f16ToF32(h: number): number {
  const s = (h & 0x8000) >> 15;
  const e = (h & 0x7c00) >> 10;
  const f = h & 0x03ff;
  let v: number;
  if (e === 0) v = (f / 1024) * 2 ** -14;
  else if (e === 31) v = f ? NaN : Infinity;
  else v = (1 + f / 1024) * 2 ** (e - 15);
  return s ? -v : v;
}

/** Decode one tensor's bytes to fp32. `bytes` starts at the data section. */
export function decodeTensor(dtype: string, name: string, raw: Uint8Array): Float32Array {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case 'F32': {
      const out = new Float32Array(raw.byteLength / 4);
      // Copy to an aligned buffer (the data section may start at any offset).
      new Uint8Array(out.buffer).set(raw);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(raw.byteLength / 2);
      for (let i = 0; i < out.length; i++) out[i] = f16ToF32(dv.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(raw.byteLength / 2);
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < out.length; i++) u32[i] = dv.getUint16(i * 2, true) << 16;
      return out;
    }
    default:
      throw new SafetensorsError(`Tensor "${name}" has dtype ${dtype}; only F32, F16 and BF16 weights are supported.`);
  }
}

/** Parse a whole file, converting every tensor to fp32. `filter` skips tensors the caller does not need. */
export function parseSafetensors(buf: ArrayBuffer | Uint8Array, filter?: (name: string) => boolean): SafetensorsFile {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const { entries, metadata, dataStart } = readSafetensorsHeader(bytes);
  const tensors = new Map<string, NamedTensor>();
  for (const [name, e] of entries) {
    if (filter && !filter(name)) continue;
    const raw = bytes.subarray(dataStart + e.data_offsets[0], dataStart + e.data_offsets[1]);
    tensors.set(name, { shape: e.shape.slice(), data: decodeTensor(e.dtype, name, raw) });
  }
  return { tensors, metadata };
}

/** Serialise fp32 tensors (keys sorted, 8-byte aligned header as the reference implementation does). */
export function writeSafetensors(tensors: Map<string, NamedTensor> | Record<string, NamedTensor>, metadata?: Record<string, string>): Uint8Array {
  const map = tensors instanceof Map ? tensors : new Map(Object.entries(tensors));
  const names = [...map.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let off = 0;
  for (const name of names) {
    const t = map.get(name)!;
    const count = t.shape.reduce((a, d) => a * d, 1);
    if (count !== t.data.length) throw new SafetensorsError(`Tensor "${name}": shape [${t.shape}] holds ${count} values but data has ${t.data.length}.`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [off, off + count * 4] };
    off += count * 4;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const name of names) {
    const d = map.get(name)!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), p);
    p += d.byteLength;
  }
  return out;
}
