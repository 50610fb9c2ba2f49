/** CRC-32 (IEEE, as MCAP uses), chainable: `crc32(b, crc32(a)) === crc32(a ++ b)`. */
import * as zlib from 'node:zlib';

let table: Uint32Array | undefined;

function crc32Js(data: Uint8Array, value = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = ~value >>> 0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** zlib's native CRC-32 (Node ≥ 20.15) with a table fallback for older Node 20 releases. */
export const crc32: (data: Uint8Array, value?: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (data, value = 0) => zlib.crc32(data, value) : crc32Js;

/** Exposed for tests: the pure-JS implementation. */
export { crc32Js };
