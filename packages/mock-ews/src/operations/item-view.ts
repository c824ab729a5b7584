// One item (or one occurrence of a recurring series) as the XML an operation answers with,
// shaped as the request asked.
import type { MockItemData } from "../model.js";
import { type ItemShape, itemElementName, itemIdXml, renderItem, type SeriesPart } from "../server/render.js";
import { ITEM_ATTACHMENT_BASE } from "../server/render-attachments.js";
import { attachmentId, changeKey } from "../store/ids.js";
import type { ItemRecord } from "../store/records.js";
import { el, esc } from "../xml.js";
import {
  type ItemTarget,
  isoFromMs,
  type Occurrence,
  occurrenceData,
  occurrenceId,
  occurrences,
} from "./calendar-view.js";
import type { OperationContext } from "./common.js";

function occurrenceInfo(record: ItemRecord, o: Occurrence): string {
  const id = occurrenceId(record.folder.mailbox.guid, record.serial, o.index);
  const key = changeKey("item", record.folder.mailbox.guid, record.lastSeq);
  return `<t:ItemId Id="${esc(id)}" ChangeKey="${esc(key)}"/>${el("t:Start", isoFromMs(o.start))}${el("t:End", isoFromMs(o.end))}${el("t:OriginalStart", isoFromMs(o.originalStart))}`;
}

/** A recurring master's FirstOccurrence / LastOccurrence / ModifiedOccurrences / DeletedOccurrences. */
function seriesXml(record: ItemRecord, data: MockItemData): (part: SeriesPart) => string {
  const cal = data.calendar!;
  const r = cal.recurrence!;
  const info = (o: Occurrence) => occurrenceInfo(record, o);
  return (part) => {
    switch (part) {
      case "FirstOccurrence": {
        // The first live occurrence is at most one past the deleted ones.
        const first = occurrences(
          cal,
          Number.POSITIVE_INFINITY,
          (cal.deletedOccurrences?.length ?? 0) + 1,
        )[0];
        return first === undefined ? "" : `<t:FirstOccurrence>${info(first)}</t:FirstOccurrence>`;
      }
      case "LastOccurrence": {
        if (r.numberOfOccurrences === undefined && r.endDate === undefined) return "";
        const list = occurrences(cal, Number.POSITIVE_INFINITY);
        const last = list[list.length - 1];
        return last === undefined ? "" : `<t:LastOccurrence>${info(last)}</t:LastOccurrence>`;
      }
      case "ModifiedOccurrences": {
        const changed = cal.modifiedOccurrences ?? [];
        if (changed.length === 0) return "";
        const until = Math.max(...changed.map((m) => Date.parse(m.originalStart))) + 1;
        const modified = occurrences(cal, until).filter((o) => o.exception !== undefined);
        return `<t:ModifiedOccurrences>${modified.map((o) => `<t:Occurrence>${info(o)}</t:Occurrence>`).join("")}</t:ModifiedOccurrences>`;
      }
      case "DeletedOccurrences": {
        const deleted = cal.deletedOccurrences ?? [];
        if (deleted.length === 0) return "";
        return `<t:DeletedOccurrences>${deleted.map((s) => `<t:DeletedOccurrence>${el("t:Start", s)}</t:DeletedOccurrence>`).join("")}</t:DeletedOccurrences>`;
      }
    }
  };
}

function isIdOnly(shape: ItemShape): boolean {
  return (
    shape.base === "IdOnly" &&
    shape.additional.size === 0 &&
    shape.indexed.length === 0 &&
    shape.extended.length === 0 &&
    !shape.includeMime
  );
}

export function render(
  ctx: OperationContext,
  target: ItemRecord | ItemTarget,
  shape: ItemShape,
  mode: "get" | "find",
): string {
  const { record, occurrence } = "record" in target ? target : { record: target, occurrence: undefined };
  if (occurrence === undefined && isIdOnly(shape)) return idOnly(ctx, record);
  const master = ctx.store.itemData(record);
  const data = occurrence === undefined ? master : occurrenceData(master, occurrence);
  return renderItem(
    {
      store: ctx.store,
      record,
      data,
      mode,
      mime:
        shape.includeMime || shape.additional.has("item:mimecontent")
          ? () => ctx.codecs.toMime(data)
          : undefined,
      ...(occurrence === undefined
        ? data.calendar?.recurrence === undefined
          ? {}
          : { seriesXml: seriesXml(record, data) }
        : {
            occurrence: {
              id: occurrenceId(record.folder.mailbox.guid, record.serial, occurrence.index),
              type: occurrence.exception === undefined ? ("Occurrence" as const) : ("Exception" as const),
              originalStart: isoFromMs(occurrence.originalStart),
            },
          }),
    },
    shape,
  );
}

export function idOnly(ctx: OperationContext, record: ItemRecord): string {
  const element = itemElementName(ctx.store.itemClassOf(record));
  return `<t:${element}>${itemIdXml(ctx.store, record)}</t:${element}>`;
}

/**
 * A created item as CreateItem answers it: its ItemId and, when it has attachments, their
 * AttachmentIds (Exchange 2010 SP2+ does, and clients such as ews-javascript-api rely on it to
 * know the attachments were created with the item instead of creating them again).
 */
export function createdXml(ctx: OperationContext, record: ItemRecord): string {
  const data = ctx.store.itemData(record);
  const items = data.itemAttachments ?? [];
  if (data.attachments.length + items.length === 0) return idOnly(ctx, record);
  const element = itemElementName(data.itemClass);
  const guid = record.folder.mailbox.guid;
  const files = data.attachments.map(
    (_a, i) =>
      `<t:FileAttachment><t:AttachmentId Id="${esc(attachmentId(guid, record.serial, i))}"/></t:FileAttachment>`,
  );
  const embedded = items.map(
    (_a, i) =>
      `<t:ItemAttachment><t:AttachmentId Id="${esc(attachmentId(guid, record.serial, ITEM_ATTACHMENT_BASE + i))}"/></t:ItemAttachment>`,
  );
  return `<t:${element}>${itemIdXml(ctx.store, record)}<t:Attachments>${files.join("")}${embedded.join("")}</t:Attachments></t:${element}>`;
}

/** An occurrence (or item) answered by id only: its own ItemId. */
export function targetIdOnly(ctx: OperationContext, target: ItemTarget): string {
  if (target.occurrence === undefined) return idOnly(ctx, target.record);
  const id = occurrenceId(target.record.folder.mailbox.guid, target.record.serial, target.occurrence.index);
  const key = changeKey("item", target.record.folder.mailbox.guid, target.record.lastSeq);
  return `<t:CalendarItem><t:ItemId Id="${esc(id)}" ChangeKey="${esc(key)}"/></t:CalendarItem>`;
}
