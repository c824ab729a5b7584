// Opaque sync states. A state names (kind, mailbox, folder, base watermark, page cursor) and is
// authenticated with an HMAC keyed by the server's seed, so a corrupt state or one issued for
// another mailbox or folder is rejected with ErrorInvalidSyncStateData instead of silently
// producing a wrong change list.
import { createHmac, timingSafeEqual } from "node:crypto";
import { EwsResponseError } from "../errors.js";
import { guidBytes } from "./ids.js";

export interface SyncStateData {
  readonly kind: "items" | "hierarchy";
  readonly mailboxGuid: string;
  readonly folderSerial: number;
  /** Changes are classified (Create vs Update/Delete) relative to this sequence number. */
  readonly base: number;
  /** Changes with an effective sequence number up to this one were already delivered. */
  readonly cursor: number;
  readonly associated: boolean;
}

const VERSION = 1;
const BODY_LENGTH = 1 + 1 + 16 + 4 + 4 + 4 + 1;

export function encodeSyncState(key: Buffer, state: SyncStateData): string {
  const body = Buffer.alloc(BODY_LENGTH);
  body[0] = VERSION;
  body[1] = state.kind === "items" ? 1 : 2;
  guidBytes(state.mailboxGuid).copy(body, 2);
  body.writeUInt32BE(state.folderSerial, 18);
  body.writeUInt32BE(state.base, 22);
  body.writeUInt32BE(state.cursor, 26);
  body[30] = state.associated ? 1 : 0;
  const mac = createHmac("sha256", key).update(body).digest().subarray(0, 16);
  return Buffer.concat([body, mac]).toString("base64");
}

/**
 * MUST throw ErrorInvalidSyncStateData when the state is not one this server issued for this
 * kind, mailbox and folder, or when it points past the mailbox's current sequence number.
 */
export function decodeSyncState(
  key: Buffer,
  text: string,
  expect: { kind: "items" | "hierarchy"; mailboxGuid: string; folderSerial: number; currentSeq: number },
): SyncStateData {
  const invalid = () =>
    new EwsResponseError(
      "ErrorInvalidSyncStateData",
      "Synchronization state data is corrupt or otherwise invalid.",
    );
  const bytes = Buffer.from(text.trim(), "base64");
  if (bytes.length !== BODY_LENGTH + 16 || bytes[0] !== VERSION) throw invalid();
  const body = bytes.subarray(0, BODY_LENGTH);
  const mac = createHmac("sha256", key).update(body).digest().subarray(0, 16);
  if (!timingSafeEqual(mac, bytes.subarray(BODY_LENGTH))) throw invalid();
  const kind = body[1] === 1 ? "items" : "hierarchy";
  const mailboxGuid = body.subarray(2, 18).toString("hex");
  const guid = `${mailboxGuid.slice(0, 8)}-${mailboxGuid.slice(8, 12)}-${mailboxGuid.slice(12, 16)}-${mailboxGuid.slice(16, 20)}-${mailboxGuid.slice(20)}`;
  const state: SyncStateData = {
    kind,
    mailboxGuid: guid,
    folderSerial: body.readUInt32BE(18),
    base: body.readUInt32BE(22),
    cursor: body.readUInt32BE(26),
    associated: body[30] === 1,
  };
  if (
    state.kind !== expect.kind ||
    state.mailboxGuid !== expect.mailboxGuid ||
    state.folderSerial !== expect.folderSerial ||
    state.cursor > expect.currentSeq ||
    state.base > state.cursor
  ) {
    throw invalid();
  }
  return state;
}
