/** zstd for MCAP chunks via @foxglove/wasm-zstd (a WASM module that loads asynchronously). */
import zstd from '@foxglove/wasm-zstd';
import type { DecompressHandlers } from '@mcap/core';

let ready: Promise<void> | undefined;

/** Resolves once the WASM module is loaded; compress/decompress throw before that. */
export function loadZstd(): Promise<void> {
  ready ??= zstd.isLoaded.then(() => undefined);
  return ready;
}

export function zstdCompress(data: Uint8Array, level = 3): Uint8Array {
  return zstd.compress(data, level);
}

/** Decompress handlers for @mcap/core readers (call `loadZstd()` first). */
export const decompressHandlers: DecompressHandlers = {
  zstd: (buffer, decompressedSize) => zstd.decompress(buffer, Number(decompressedSize)),
};
