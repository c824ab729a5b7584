// FindItem: restrictions and sort orders over a folder's items, IndexedPageItemView paging, and
// CalendarView, which expands recurring series into the occurrences inside its window.
import { EwsResponseError } from "../errors.js";
import type { MockItemData } from "../model.js";
import type { ItemRecord } from "../store/records.js";
import { attr, child, children, text, type XmlNode } from "../xml.js";
import { calendarWindow, parseCalendarView } from "./calendar-view.js";
import {
  folderIdsIn,
  indexedPage,
  type Operation,
  type OperationContext,
  parseIntAttr,
  parseItemShape,
  perEntry,
  resolveFolderNode,
  successMessage,
} from "./common.js";
import { itemPathResolver } from "./item-fields.js";
import { render } from "./item-view.js";
import { compileRestriction, sortBy } from "./restrictions.js";

/** Exchange's default EWSFindCountLimit. */
const FIND_COUNT_LIMIT = 1000;

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
    const queryText = text(request, "QueryString");
    const query =
      queryText === undefined || queryText.trim() === "" ? undefined : compileQueryString(queryText);
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
        // EWSFindCountLimit: a view can hand out 1000 entries; more without a smaller
        // MaxEntriesReturned is refused (a CalendarView cannot be paged).
        if (shown.length > FIND_COUNT_LIMIT && window.max > FIND_COUNT_LIMIT)
          throw new EwsResponseError(
            "ErrorExceededFindCountLimit",
            "You have exceeded the maximum number of objects that can be returned for the find operation. Use paging to reduce the result size and try your request again.",
            `<t:Value Name="PolicyLimit">${FIND_COUNT_LIMIT}</t:Value>`,
          );
        const page = shown.slice(0, window.max);
        const items = page.map((t) => render(ctx, t, shape, "find")).join("");
        // More entries than MaxEntriesReturned: the first ones, and IncludesLastItemInRange false.
        return successMessage(
          this.messageName,
          `<m:RootFolder TotalItemsInView="${shown.length}" IncludesLastItemInRange="${page.length === shown.length}"><t:Items>${items}</t:Items></m:RootFolder>`,
        );
      }
      if (query !== undefined) all = all.filter((r) => query(ctx.store.itemData(r)));
      const contactsView = child(request, "ContactsView");
      if (contactsView !== undefined) all = inContactsView(ctx, all, contactsView);
      all = sortBy(all, orders, resolve, (a, b) => a.serial - b.serial);
      const fractional = child(request, "FractionalPageItemView");
      const { page, attrs } =
        fractional !== undefined
          ? fractionalPage(fractional, all)
          : indexedPage(child(request, "IndexedPageItemView") ?? contactsView, all);
      const items = page.map((r) => render(ctx, r, shape, "find")).join("");
      return successMessage(
        this.messageName,
        `<m:RootFolder ${attrs}><t:Items>${items}</t:Items></m:RootFolder>`,
      );
    });
  },
};

/** FractionalPageItemView: the page starting at Numerator/Denominator of the view. */
function fractionalPage<T>(view: XmlNode, all: readonly T[]): { page: T[]; attrs: string } {
  const numerator = parseIntAttr(view, "Numerator", 0);
  const denominator = parseIntAttr(view, "Denominator", 1);
  if (denominator === 0 || numerator > denominator)
    throw new EwsResponseError("ErrorInvalidArgument", "Numerator/Denominator is invalid.");
  const max = parseIntAttr(view, "MaxEntriesReturned", Number.MAX_SAFE_INTEGER) || Number.MAX_SAFE_INTEGER;
  const start = Math.floor((all.length * numerator) / denominator);
  const page = all.slice(start, start + max);
  const end = start + page.length;
  return {
    page,
    attrs: `NumeratorOffset="${end}" AbsoluteDenominator="${all.length}" TotalItemsInView="${all.length}" IncludesLastItemInRange="${end >= all.length}"`,
  };
}

/** ContactsView: contacts whose FileAs (surname, given name) falls between InitialName and FinalName. */
function inContactsView(ctx: OperationContext, records: readonly ItemRecord[], view: XmlNode): ItemRecord[] {
  const initial = (attr(view, "InitialName") ?? "").toLowerCase();
  const final = attr(view, "FinalName")?.toLowerCase();
  return records
    .map((r) => ({ r, key: fileAs(ctx.store.itemData(r)) }))
    .filter(({ key }) => key !== undefined && key >= initial && (final === undefined || key <= final))
    .sort((a, b) => (a.key! < b.key! ? -1 : a.key! > b.key! ? 1 : 0))
    .map(({ r }) => r);
}

function fileAs(d: MockItemData): string | undefined {
  if (d.contact === undefined) return undefined;
  return `${d.contact.surname}, ${d.contact.givenName}`.toLowerCase();
}

/**
 * QueryString (AQS), the common subset: words and "quoted phrases" that must all occur
 * (case-insensitive) in the subject, body, sender, recipients or categories, optionally
 * narrowed by a property (subject:, body:, from:, to:, cc:, participants:, category:), OR
 * between terms, and NOT / a leading - to exclude.
 */
function compileQueryString(query: string): (d: MockItemData) => boolean {
  const tokens = [...query.matchAll(/(-?)(?:(\w+):)?(?:"([^"]*)"|(\S+))/g)];
  type Term = { negate: boolean; field: string | undefined; value: string };
  const groups: Term[][] = [[]];
  let negateNext = false;
  for (const t of tokens) {
    const word = t[3] ?? t[4] ?? "";
    if (t[2] === undefined && t[3] === undefined && word === "OR") {
      groups.push([]);
      continue;
    }
    if (t[2] === undefined && t[3] === undefined && word === "AND") continue;
    if (t[2] === undefined && t[3] === undefined && word === "NOT") {
      negateNext = true;
      continue;
    }
    groups[groups.length - 1]!.push({
      negate: negateNext || t[1] === "-",
      field: t[2]?.toLowerCase(),
      value: word.toLowerCase(),
    });
    negateNext = false;
  }
  const people = (list: readonly { name: string; email: string }[]) =>
    list.map((a) => `${a.name} ${a.email}`).join(" ");
  const haystack = (d: MockItemData, field: string | undefined): string => {
    switch (field) {
      case "subject":
        return d.subject;
      case "body":
        return d.body.content;
      case "from":
        return d.from === undefined ? "" : people([d.from]);
      case "to":
        return people(d.toRecipients);
      case "cc":
        return people(d.ccRecipients);
      case "participants":
        return people([...(d.from === undefined ? [] : [d.from]), ...d.toRecipients, ...d.ccRecipients]);
      case "category":
      case "categories":
        return d.categories.join(" ");
      default:
        return [
          d.subject,
          d.body.content,
          d.from === undefined ? "" : people([d.from]),
          people(d.toRecipients),
          d.categories.join(" "),
        ].join(" ");
    }
  };
  const live = groups.filter((g) => g.length > 0);
  return (d) =>
    live.some((group) =>
      group.every((term) => haystack(d, term.field).toLowerCase().includes(term.value) !== term.negate),
    );
}
