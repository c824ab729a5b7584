// MarkAsJunk (Exchange 2013+): marks items as junk or not junk and, with MoveItem, moves them to
// Junk Email or back to the Inbox, answering each with its new id (MovedItemId). Exchange also
// adds the sender to the mailbox's blocked (or safe) senders list; the mock keeps no such list.
import { EwsResponseError } from "../errors.js";
import { itemIdXml } from "../server/render.js";
import { boolAttr, child } from "../xml.js";
import { itemRefsIn, resolveTarget } from "./calendar-view.js";
import { type Operation, perEntry, successMessage } from "./common.js";

function required(value: boolean | undefined, name: string): boolean {
  if (value === undefined) {
    throw new EwsResponseError(
      "ErrorSchemaValidation",
      `The request failed schema validation: The required attribute '${name}' is missing.`,
    );
  }
  return value;
}

export const markAsJunk: Operation = {
  messageName: "MarkAsJunkResponseMessage",
  entries: { container: "ItemIds", names: ["ItemId", "OccurrenceItemId", "RecurringMasterItemId"] },
  run(request, ctx) {
    const isJunk = required(boolAttr(request, "IsJunk"), "IsJunk");
    const move = required(boolAttr(request, "MoveItem"), "MoveItem");
    return perEntry(this, itemRefsIn(child(request, "ItemIds")), ({ kind, node }) => {
      const { record, occurrence } = resolveTarget(ctx, kind, node);
      if (occurrence !== undefined)
        throw new EwsResponseError("ErrorInvalidOperation", "An occurrence cannot be marked as junk.");
      if (!move) return successMessage(this.messageName);
      const target = ctx.store.distinguishedFolder(record.folder.mailbox, isJunk ? "junkemail" : "inbox");
      // Already where it belongs: nothing moves, the id stays.
      const moved = record.folder === target ? record : ctx.store.transferItem(record, target, false);
      const id = itemIdXml(ctx.store, moved).replace("<t:ItemId ", "<m:MovedItemId ");
      return successMessage(this.messageName, id);
    });
  },
};
