// Files named after mailbox data (export's folders and subjects, any future file output) must
// stay inside the directory the user chose, whatever the names: any mailbox owner can create a
// folder called "..", "/etc", "C:\x", "CON" or one with a NUL, a bidi override or 300 letters.
//
// Two layers: safeSegment() turns one untrusted name into one harmless path segment, and
// SafeOutputTree maps whole name lists below a root, keeps distinct names distinct (also on
// case-insensitive file systems), creates each directory itself and refuses anything a third
// party planted in the output: a symlink or a file where a directory belongs, a link where a
// file is written. Every resolved path is proven to lie inside the root's real path.
import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, mkdir, open, realpath, rename, rm } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { CliError } from "./errors.js";

/** Longest segment in UTF-8 bytes (NAME_MAX of ext4, APFS and NTFS's 255 UTF-16 units). */
export const MAX_SEGMENT_BYTES = 255;

/** Bidi, zero-width and other invisible format characters: removed, they only disguise a name. */
const INVISIBLE =
  /[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;
/** Control characters and lone surrogates (which no file system stores as such). */
const CONTROL =
  /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Separators and the characters Windows refuses in names. */
const FORBIDDEN = /[/\\:*?"<>|]/g;
/** Device names Windows resolves in every directory, with or without an extension ("CON .txt" too). */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(?=[. ]|$)/i;

function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** The longest prefix of `text` within `maxBytes` UTF-8 bytes, never splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = utf8Length(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/** 8 hex digits of SHA-256 of the untrusted original: short, stable, distinct in practice. */
function shortHash(original: string, salt = ""): string {
  return createHash("sha256").update(`${salt}${original}`, "utf8").digest("hex").slice(0, 8);
}

/**
 * One untrusted name as one safe path segment: NFC; invisible format characters removed;
 * controls, NUL, separators and characters Windows forbids replaced by "_"; leading dots
 * (".", "..", hidden files) and trailing dots and spaces gone; Windows device names prefixed
 * with "_"; at most `maxBytes` UTF-8 bytes, a cut name ending in "~" and a hash of the original
 * so two long names sharing a prefix stay apart. Never empty, never "." or "..".
 */
export function safeSegment(name: string, maxBytes = MAX_SEGMENT_BYTES): string {
  if (maxBytes < 16) throw new TypeError("maxBytes must leave room for a hash suffix");
  let text = String(name)
    .normalize("NFC")
    .replace(INVISIBLE, "")
    .replace(CONTROL, "_")
    .replace(FORBIDDEN, "_")
    .trim()
    .replace(/^\.+/, "_")
    .replace(/[. ]+$/, "");
  if (text === "") text = "_";
  if (RESERVED.test(text)) text = `_${text}`;
  if (utf8Length(text) > maxBytes) {
    text = `${truncateUtf8(text, maxBytes - 9).replace(/[. ]+$/, "")}~${shortHash(name)}`;
  }
  return text;
}

/** The key two names collide under on a case-insensitive, normalising file system. */
function foldedKey(segment: string): string {
  return segment.normalize("NFKC").toLowerCase();
}

/** True when `path` is `root` or lies below it (both absolute, already resolved). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!isAbsolute(rel) && rel !== ".." && !rel.startsWith(`..${sep}`));
}

function unsafe(message: string, path: string): CliError {
  return new CliError("EXPORT_PATH_UNSAFE", `${message}: ${path}`);
}

/**
 * A directory tree of files named after untrusted data, below one root. Names are mapped
 * deterministically: the same name list gives the same path in one run; a name that collides
 * with an earlier sibling (after sanitising, or only by letter case) gets "~" and a hash of its
 * original. Directories and files are created only through this class.
 */
export class SafeOutputTree {
  /** Real path of the root (a root given as a symlink is followed once, by the user's choice). */
  readonly root: string;
  /** Per directory (its safe relative path): folded segment -> who holds it. */
  readonly #claimed = new Map<string, Map<string, string>>();
  /** (directory, identity) -> segment handed out, so a name maps the same way every time. */
  readonly #assigned = new Map<string, string>();
  readonly #verified = new Set<string>();

  private constructor(root: string) {
    this.root = root;
  }

  /** Creates `root` if needed and resolves its real path. */
  static async open(root: string): Promise<SafeOutputTree> {
    await mkdir(root, { recursive: true });
    return new SafeOutputTree(await realpath(root));
  }

  /** The safe relative segments for a folder path of untrusted names (nothing is created). */
  folderSegments(names: readonly string[]): string[] {
    const segments: string[] = [];
    for (const name of names) segments.push(this.#claim(segments, `folder:${name}`, name, safeSegment(name)));
    return segments;
  }

  /**
   * Writes `data` as a file in the folder `folderNames`, named after `baseName` (untrusted) plus
   * `extension`; `identity` (an item id) tells two files with the same name apart. The file is
   * written under a temporary name and renamed into place, so a link planted at the final name
   * is replaced, never written through. Returns the absolute path.
   */
  async writeFile(
    folderNames: readonly string[],
    baseName: string,
    extension: string,
    data: Uint8Array,
    identity: string,
  ): Promise<string> {
    const segments = this.folderSegments(folderNames);
    const directory = await this.#directory(segments);
    const budget = MAX_SEGMENT_BYTES - utf8Length(extension);
    const stem = this.#claim(
      segments,
      `file:${identity}`,
      baseName,
      safeSegment(baseName, budget),
      extension,
    );
    const file = join(directory, `${stem}${extension}`);
    if (!isInside(this.root, file)) throw unsafe("refusing a path outside the output directory", file);
    const existing = await lstat(file).catch(() => undefined);
    if (existing !== undefined && !existing.isFile()) throw unsafe("not a regular file", file);
    const temporary = join(directory, `.${randomBytes(6).toString("hex")}.tmp`);
    const handle = await open(
      temporary,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
      0o644,
    );
    try {
      await handle.writeFile(data);
    } catch (error) {
      await handle.close().catch(() => {});
      await rm(temporary, { force: true });
      throw error;
    }
    await handle.close();
    await rename(temporary, file);
    return file;
  }

  /** Hands out a segment under the directory `parent`, unique by folded key. */
  #claim(
    parent: readonly string[],
    identity: string,
    original: string,
    preferred: string,
    extension = "",
  ): string {
    const parentKey = parent.join("/");
    const assignedKey = `${parentKey}\u0000${identity}`;
    const assigned = this.#assigned.get(assignedKey);
    if (assigned !== undefined) return assigned;
    let claimed = this.#claimed.get(parentKey);
    if (claimed === undefined) {
      claimed = new Map();
      this.#claimed.set(parentKey, claimed);
    }
    let segment = preferred;
    const budget = MAX_SEGMENT_BYTES - utf8Length(extension);
    for (let attempt = 0; claimed.has(foldedKey(`${segment}${extension}`)); attempt++) {
      const suffix = `~${shortHash(original, attempt === 0 ? "" : `${attempt}:`)}`;
      segment = `${truncateUtf8(preferred, budget - suffix.length)}${suffix}`;
    }
    claimed.set(foldedKey(`${segment}${extension}`), identity);
    this.#assigned.set(assignedKey, segment);
    return segment;
  }

  /** Creates each level of `segments` below the root, refusing symlinks and non-directories. */
  async #directory(segments: readonly string[]): Promise<string> {
    let path = this.root;
    for (const segment of segments) {
      path = join(path, segment);
      if (!isInside(this.root, path)) throw unsafe("refusing a path outside the output directory", path);
      if (this.#verified.has(path)) continue;
      await mkdir(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw error;
      });
      const stat = await lstat(path);
      if (stat.isSymbolicLink())
        throw unsafe("refusing to follow a symbolic link in the output directory", path);
      if (!stat.isDirectory()) throw unsafe("not a directory", path);
      // lstat of each level already excludes links; this also catches bind mounts and races.
      // Letter case may differ on a case-insensitive file system holding an earlier export.
      if ((await realpath(path)).toLowerCase() !== path.toLowerCase())
        throw unsafe("the output directory resolves elsewhere", path);
      this.#verified.add(path);
    }
    return path;
  }
}
