// FindItem: restrictions and sort orders over a folder's items, IndexedPageItemView paging, and
// CalendarView, which expands recurring series into the occurrences inside its window.
import { EwsResponseError } from "../errors.js";
import type { ItemRecord } from "../store/index.js";
import { attr, child, children } from "../xml.js";
import { calendarWindow, parseCalendarView } from "./calendar-view.js";
import {
  folderIdsIn,
  indexedPage,
  type Operation,
  parseItemShape,
  perEntry,
  resolveFolderNode,
  successMessage,
} from "./common.js";
import { itemPathResolver } from "./item-fields.js";
import { render } from "./item-view.js";
import { compileRestriction, sortBy } from "./restrictions.js";

export const findItem: Operation = {
  messageName: "FindItemResponseMessage",
  entries: { container: "ParentFolderIds", names: ["FolderId", "DistinguishedFolderId"] },
  run(request, ctx) {
    const shape = parseItemShape(child(request, "ItemShape"));
    const associated = attr(request, "Traversal") === "Associated";
    const resolve = itemPathResolver(ctx.store);
    const restriction = child(request, "Restriction");
    const predicate = restriction === undefined ? undefined : compileRestriction(restriction, resolve);
    const orders = children(child(request, "SortOrder"), "FieldOrder");
    const calendarView = child(request, "CalendarView");
    const window = calendarView === undefined ? undefined : parseCalendarView(calendarView);
    return perEntry(this, folderIdsIn(child(request, "ParentFolderIds")), ({ kind, node }) => {
      const folder = resolveFolderNode(ctx, kind, node);
      let all: ItemRecord[] = ctx.store.folderItems(folder).filter((r) => r.isAssociated === associated);
      if (predicate !== undefined) all = all.filter(predicate);
      if (window !== undefined) {
        if (folder.folderClass !== undefined && !folder.folderClass.startsWith("IPF.Appointment"))
          throw new EwsResponseError(
            "ErrorCalendarFolderIsInvalidForCalendarView",
            "CalendarView is only valid on calendar folders.",
          );
        const shown = calendarWindow(ctx, all, window);
        const page = shown.slice(0, window.max);
        const items = page.map((t) => render(ctx, t, shape, "find")).join("");
        // More entries than MaxEntriesReturned: the first ones, and IncludesLastItemInRange false.
        return successMessage(
          this.messageName,
          `<m:RootFolder TotalItemsInView="${shown.length}" IncludesLastItemInRange="${page.length === shown.length}"><t:Items>${items}</t:Items></m:RootFolder>`,
        );
      }
      all = sortBy(all, orders, resolve, (a, b) => a.serial - b.serial);
      const { page, attrs } = indexedPage(child(request, "IndexedPageItemView"), all);
      const items = page.map((r) => render(ctx, r, shape, "find")).join("");
      return successMessage(
        this.messageName,
        `<m:RootFolder ${attrs}><t:Items>${items}</t:Items></m:RootFolder>`,
      );
    });
  },
};
