// Text from mailboxes and repositories (subjects, folder names, server messages) is untrusted:
// an ESC, OSC or BEL in it would drive the user's terminal (clear the screen, plant a hyperlink,
// retitle the window) and a bidi override would show a name reversed. Human output therefore
// shows every such character as a visible escape (`\x1b`, `\u202e`), so nothing is hidden and
// nothing is lost; --json output stays exact and only spells the same characters as JSON
// escapes, which parse back to the identical string.

/**
 * Characters never printed raw: C0 controls, DEL, C1 controls (U+009B is a one-byte CSI on some
 * terminals), bidi embeddings, overrides, isolates and marks, line and paragraph separators,
 * zero-width space, invisible operators, deprecated format characters, the BOM, interlinear
 * annotation marks, and lone surrogates. Zero-width joiner and non-joiner (U+200C, U+200D)
 * stay: scripts and emoji sequences need them and they cannot reorder or hide text.
 */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const SHORT: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function visible(char: string): string {
  const short = SHORT[char];
  if (short !== undefined) return short;
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `text` with every unsafe character replaced by a visible escape. With `keepNewlines`, "\n"
 * stays a line break (for whole multi-line messages built by this program); values from
 * mailboxes are escaped without it, so a subject cannot start a fake line either.
 */
export function escapeTerminalText(text: string, options: { keepNewlines?: boolean } = {}): string {
  return text.replace(UNSAFE, (char) => (options.keepNewlines && char === "\n" ? char : visible(char)));
}

/**
 * JSON.stringify, plus \u escapes for the characters JSON leaves raw (DEL, C1, bidi and
 * zero-width controls, U+2028/2029): still exact JSON for any parser, but safe on a terminal.
 */
export function terminalSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    UNSAFE,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
