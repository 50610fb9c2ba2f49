/** Z85 (ZeroMQ RFC 32) decoding, to compare the 32-byte client keys ZAP hands us with allow-listed keys. */
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const DECODE = new Map([...ALPHABET].map((c, i) => [c, i]));

export function z85Decode(text: string): Uint8Array {
  if (text.length % 5 !== 0) throw new Error(`z85: expected a multiple of 5 characters, got ${text.length}`);
  const out = new Uint8Array((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let v = 0;
    for (let k = 0; k < 5; k++) {
      const d = DECODE.get(text[i + k]);
      if (d === undefined) throw new Error(`z85: invalid character ${JSON.stringify(text[i + k])}`);
      v = v * 85 + d;
    }
    out[o] = (v >>> 24) & 0xff;
    out[o + 1] = (v >>> 16) & 0xff;
    out[o + 2] = (v >>> 8) & 0xff;
    out[o + 3] = v & 0xff;
  }
  return out;
}

export function isZ85Key(text: string): boolean {
  return text.length === 40 && [...text].every((c) => DECODE.has(c));
}
