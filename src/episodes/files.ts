/** Which episode files a path names: the file itself, or every `.mcap` file under a directory. */
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EpisodeFileError } from './errors.js';

const EPISODE_FILE_EXT = '.mcap';

/**
 * `path` if it is a file (whatever its extension), or the `.mcap` files under it (recursively,
 * sorted) if it is a directory. A missing path throws EpisodeFileError.
 */
export async function listEpisodeFiles(path: string): Promise<string[]> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : `cannot read it (${code ?? (e as Error).message})`;
    throw new EpisodeFileError(path, `${path}: expected an MCAP episode file or a directory of them, got ${why}`);
  }
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.toLowerCase().endsWith(EPISODE_FILE_EXT))
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
}
