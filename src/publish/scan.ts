/**
 * Reads a dataset's file tree for publishing (IO), refusing what must not be published: a
 * path that is missing or unreadable, anything inside smartnode's own download directory,
 * symlinks that lead out of the dataset, and names that are not valid UTF-8 (a .torrent's
 * names are UTF-8; another node would write different bytes). Files come in a stable order:
 * by path, byte for byte.
 */
import { constants } from 'node:fs';
import { access, lstat, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { SmartnodeError } from '../shared/index.js';

export interface DatasetFile {
  absolutePath: string;
  /** Path segments inside the dataset's folder (a single-file dataset: [its name]). */
  path: string[];
  lengthBytes: number;
}

export interface ScannedDataset {
  /** Absolute, symlinks resolved. */
  root: string;
  name: string;
  isDirectory: boolean;
  files: DatasetFile[];
  totalBytes: number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export async function scanDataset(path: string, options: { ownDownloadDir: string | null }): Promise<ScannedDataset> {
  const given = resolve(path);
  const info = await lstat(given).catch((error: NodeJS.ErrnoException) => {
    throw invalid(
      `${given} does not exist`,
      'give the path of the file or directory to publish',
      error.code === 'ENOENT' ? undefined : error,
    );
  });
  const root = await realpath(given);
  await checkReadable(root);
  if (options.ownDownloadDir !== null) {
    const own = await realpath(options.ownDownloadDir).catch(() => resolve(options.ownDownloadDir!));
    if (root === own || root.startsWith(own + sep) || own.startsWith(root + sep)) {
      throw invalid(
        `${given} is inside smartnode's own download directory ${own} (or holds it)`,
        'publish data from outside storage.downloadDir: smartnode deletes what it mirrors there when it evicts it',
      );
    }
  }
  const name = checkName(Buffer.from(basename(root)), root);
  const top = info.isSymbolicLink() ? await stat(root) : info;
  if (top.isFile()) {
    return { root, name, isDirectory: false, files: [{ absolutePath: root, path: [name], lengthBytes: top.size }], totalBytes: top.size };
  }
  if (!top.isDirectory()) throw invalid(`${given} is neither a file nor a directory`, 'publish a regular file or a directory of files');
  const files: DatasetFile[] = [];
  await walk(root, root, [], files);
  if (files.length === 0) throw invalid(`${given} holds no files`, 'a torrent needs at least one file with data');
  files.sort((a, b) => Buffer.compare(Buffer.from(a.path.join('/')), Buffer.from(b.path.join('/'))));
  const totalBytes = files.reduce((sum, f) => sum + f.lengthBytes, 0);
  if (totalBytes === 0) throw invalid(`${given} holds only empty files`, 'a torrent needs data to share');
  return { root, name, isDirectory: true, files, totalBytes };
}

async function walk(root: string, dir: string, segments: string[], out: DatasetFile[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
  for (const entry of entries) {
    const segment = checkName(entry.name, join(dir, entry.name.toString('latin1')));
    const full = join(dir, segment);
    let isFile = entry.isFile();
    let isDirectory = entry.isDirectory();
    let target = full;
    if (entry.isSymbolicLink()) {
      target = await realpath(full).catch(() => {
        throw invalid(`${full} is a broken symlink`, 'remove it or point it at a file inside the dataset');
      });
      if (!target.startsWith(root + sep)) {
        throw invalid(
          `${full} is a symlink to ${target}, outside ${root}`,
          'copy that data into the dataset, or publish it on its own: a published torrent covers its folder only',
        );
      }
      const s = await stat(target);
      if (s.isDirectory())
        throw invalid(
          `${full} is a symlink to a directory`,
          'symlinked directories are not followed; replace the link with the directory itself',
        );
      isFile = s.isFile();
      isDirectory = false;
    }
    if (isDirectory) {
      await walk(root, full, [...segments, segment], out);
    } else if (isFile) {
      await checkReadable(full);
      out.push({ absolutePath: full, path: [...segments, segment], lengthBytes: (await stat(target)).size });
    } else {
      throw invalid(`${full} is not a regular file (a socket, device or pipe)`, 'move it out of the dataset');
    }
  }
}

function checkName(raw: Buffer, where: string): string {
  try {
    return strictUtf8.decode(raw);
  } catch {
    throw invalid(
      `the name ${JSON.stringify(raw.toString('latin1'))} in ${dirname(where)} is not valid UTF-8`,
      'rename it to UTF-8 (e.g. `convmv -f latin1 -t utf8 --notest`): torrent names are UTF-8 and other nodes must write the same names',
    );
  }
}

async function checkReadable(path: string): Promise<void> {
  await access(path, constants.R_OK).catch((error: unknown) => {
    throw invalid(
      `${path} is not readable by this user`,
      'run publish as a user who can read the whole dataset (the daemon must read it too, to seed it)',
      error,
    );
  });
}

function invalid(message: string, hint: string, cause?: unknown): SmartnodeError {
  return new SmartnodeError('PUBLISH_INVALID', message, { hint, ...(cause === undefined ? {} : { cause }) });
}
