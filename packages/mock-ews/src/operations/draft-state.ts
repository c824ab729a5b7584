// Whether a message is a draft (IsDraft): the unsent bit (mfUnsent, 0x8) of PidTagMessageFlags.
// Exchange sets it on every message CreateItem saves without sending (typed or MIME), unless the
// request sets PidTagMessageFlags itself (the known way to create a message that is not a draft);
// sending clears it. The model has no field for it: the bit is kept as the item's stored
// PidTagMessageFlags extended property (so ExportItems/UploadItems, copies and moves keep it),
// and the mapped PidTagMessageFlags getter adds the bits the model holds (read, attachments).
import type { MockExtendedProperty, MockItemData } from "../model.js";

const TAG = 0x0e07;
const UNSENT = 0x8;

function isMarker(p: MockExtendedProperty): boolean {
  return p.propertyTag === TAG && p.propertySetId === undefined;
}

/** The stored unsent bit: true / false when set at creation, undefined when never set. */
export function storedUnsent(data: MockItemData): boolean | undefined {
  const marker = data.extendedProperties?.find(isMarker);
  return marker === undefined ? undefined : (Number(marker.values[0]) & UNSENT) !== 0;
}

export function isDraft(data: MockItemData): boolean {
  return storedUnsent(data) === true;
}

/** `data` with the unsent bit set, cleared, or (undefined) not stored at all. */
export function withUnsent(data: MockItemData, unsent: boolean | undefined): MockItemData {
  const others = (data.extendedProperties ?? []).filter((p) => !isMarker(p));
  if (unsent === undefined) {
    if (others.length === (data.extendedProperties ?? []).length) return data;
    const { extendedProperties: _old, ...rest } = data;
    return others.length === 0 ? rest : { ...rest, extendedProperties: others };
  }
  const marker: MockExtendedProperty = {
    propertyTag: TAG,
    propertyType: "Integer",
    values: [String(unsent ? UNSENT : 0)],
  };
  return { ...data, extendedProperties: [...others, marker] };
}

/** PidTagMessageFlags as Exchange reports it: mfRead 0x1, mfUnsent 0x8, mfHasAttach 0x10. */
export function messageFlags(data: MockItemData): number {
  const attached = data.attachments.length + (data.itemAttachments?.length ?? 0) > 0;
  return (data.isRead ? 0x1 : 0) | (isDraft(data) ? UNSENT : 0) | (attached ? 0x10 : 0);
}

/** A PidTagMessageFlags value a client sets: the read and unsent bits are taken. */
export function withMessageFlags(data: MockItemData, raw: string | undefined): MockItemData {
  const flags = Number(raw ?? "0");
  return withUnsent({ ...data, isRead: (flags & 0x1) !== 0 }, (flags & UNSENT) !== 0);
}
