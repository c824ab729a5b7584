// Inbox rules: GetInboxRules reads them (t:Rule in priority order), UpdateInboxRules replaces
// them in one request (delete every current rule, create the given ones). Exchange applies
// UpdateInboxRules all or nothing, so a restore either gets all the rules or none, with the
// server's RuleOperationErrors reported per rule. Predicates and actions are kept by element
// name with a value shaped by the element's schema type (RulePredicatesType, RuleActionsType).
import type {
  ApplySettingsOptions,
  InboxRule,
  RuleAddress,
  RuleParts,
  RuleValue,
  SettingsEntryReport,
  SettingsKindReport,
} from "@ewsvault/mailbox";
import type { OperationScope } from "../../call.js";
import { folderId as folderIdXml } from "../../requests.js";
import { operation } from "../../soap.js";
import { child, childrenNamed, childText, type XmlElement } from "../../xml-parser.js";
import { el, type XmlFragment } from "../../xml-writer.js";
import {
  callSelfFramed,
  mapFolder,
  parseBoolean,
  responseFailure,
  settingsFailure,
} from "./settings-call.js";

type ValueKind =
  | "strings"
  | "addresses"
  | "boolean"
  | "choice"
  | "folder"
  | "item"
  | "dateRange"
  | "sizeRange";

// Schema order (xs:sequence), with each element's value kind.
const PREDICATES: readonly (readonly [string, ValueKind])[] = [
  ["Categories", "strings"],
  ["ContainsBodyStrings", "strings"],
  ["ContainsHeaderStrings", "strings"],
  ["ContainsRecipientStrings", "strings"],
  ["ContainsSenderStrings", "strings"],
  ["ContainsSubjectOrBodyStrings", "strings"],
  ["ContainsSubjectStrings", "strings"],
  ["FlaggedForAction", "choice"],
  ["FromAddresses", "addresses"],
  ["FromConnectedAccounts", "strings"],
  ["HasAttachments", "boolean"],
  ["Importance", "choice"],
  ["IsApprovalRequest", "boolean"],
  ["IsAutomaticForward", "boolean"],
  ["IsAutomaticReply", "boolean"],
  ["IsEncrypted", "boolean"],
  ["IsMeetingRequest", "boolean"],
  ["IsMeetingResponse", "boolean"],
  ["IsNDR", "boolean"],
  ["IsPermissionControlled", "boolean"],
  ["IsReadReceipt", "boolean"],
  ["IsSigned", "boolean"],
  ["IsVoicemail", "boolean"],
  ["ItemClasses", "strings"],
  ["MessageClassifications", "strings"],
  ["NotSentToMe", "boolean"],
  ["SentCcMe", "boolean"],
  ["SentOnlyToMe", "boolean"],
  ["SentToAddresses", "addresses"],
  ["SentToMe", "boolean"],
  ["SentToOrCcMe", "boolean"],
  ["Sensitivity", "choice"],
  ["WithinDateRange", "dateRange"],
  ["WithinSizeRange", "sizeRange"],
];

const ACTIONS: readonly (readonly [string, ValueKind])[] = [
  ["AssignCategories", "strings"],
  ["CopyToFolder", "folder"],
  ["Delete", "boolean"],
  ["ForwardAsAttachmentToRecipients", "addresses"],
  ["ForwardToRecipients", "addresses"],
  ["MarkImportance", "choice"],
  ["MarkAsRead", "boolean"],
  ["MoveToFolder", "folder"],
  ["PermanentDelete", "boolean"],
  ["RedirectToRecipients", "addresses"],
  ["SendSMSAlertToRecipients", "addresses"],
  ["ServerReplyWithMessage", "item"],
  ["StopProcessingRules", "boolean"],
];

function parseAddress(element: XmlElement): RuleAddress {
  const name = childText(element, "Name");
  const routingType = childText(element, "RoutingType");
  return {
    emailAddress: childText(element, "EmailAddress") ?? "",
    ...(name !== undefined ? { name } : {}),
    ...(routingType !== undefined ? { routingType } : {}),
  };
}

function parseValue(element: XmlElement, kind: ValueKind): RuleValue | undefined {
  switch (kind) {
    case "strings":
      return { strings: childrenNamed(element, "String").map((s) => s.text) };
    case "addresses":
      return { addresses: childrenNamed(element, "Address").map(parseAddress) };
    case "boolean": {
      const value = parseBoolean(element.text);
      return value === undefined ? undefined : { boolean: value };
    }
    case "choice":
      return { choice: element.text.trim() };
    case "folder": {
      const distinguished = child(element, "DistinguishedFolderId")?.attributes.Id;
      if (distinguished !== undefined) return { folderId: distinguished, distinguished: true };
      const id = child(element, "FolderId")?.attributes.Id;
      return id === undefined ? undefined : { folderId: id };
    }
    case "item": {
      const id = element.attributes.Id;
      if (id === undefined) return undefined;
      const changeKey = element.attributes.ChangeKey;
      return { itemId: id, ...(changeKey !== undefined ? { changeKey } : {}) };
    }
    case "dateRange": {
      const start = childText(element, "StartDateTime");
      const end = childText(element, "EndDateTime");
      return { dateRange: { ...(start ? { start } : {}), ...(end ? { end } : {}) } };
    }
    case "sizeRange": {
      const min = childText(element, "MinimumSize");
      const max = childText(element, "MaximumSize");
      return {
        sizeRange: {
          ...(min !== undefined ? { minimumSize: Number(min) } : {}),
          ...(max !== undefined ? { maximumSize: Number(max) } : {}),
        },
      };
    }
  }
}

function parseParts(element: XmlElement | undefined, table: typeof PREDICATES): RuleParts {
  const parts: Record<string, RuleValue> = {};
  for (const [name, kind] of table) {
    const node = child(element, name);
    if (node === undefined) continue;
    const value = parseValue(node, kind);
    if (value !== undefined) parts[name] = value;
  }
  return parts;
}

export function parseRule(element: XmlElement): InboxRule {
  const ruleId = childText(element, "RuleId");
  return {
    ...(ruleId !== undefined ? { ruleId } : {}),
    displayName: childText(element, "DisplayName") ?? "",
    priority: Number(childText(element, "Priority") ?? "0"),
    isEnabled: parseBoolean(childText(element, "IsEnabled")) ?? false,
    ...(parseBoolean(childText(element, "IsNotSupported")) === true ? { isNotSupported: true } : {}),
    ...(parseBoolean(childText(element, "IsInError")) === true ? { isInError: true } : {}),
    conditions: parseParts(child(element, "Conditions"), PREDICATES),
    exceptions: parseParts(child(element, "Exceptions"), PREDICATES),
    actions: parseParts(child(element, "Actions"), ACTIONS),
  };
}

export async function getInboxRules(
  scope: OperationScope,
  mailbox: string,
  signal?: AbortSignal,
): Promise<InboxRule[]> {
  const request = operation("GetInboxRules", {}, el("m:MailboxSmtpAddress", undefined, mailbox));
  const response = await callSelfFramed(scope, mailbox, "GetInboxRules", request, signal);
  return childrenNamed(child(response, "InboxRules"), "Rule")
    .map(parseRule)
    .sort((a, b) => a.priority - b.priority);
}

/** A child element, or nothing when its value is absent. */
function optional(tag: string, value: string | number | undefined): XmlFragment | undefined {
  return value === undefined ? undefined : el(tag, undefined, value);
}

/** Thrown while building a rule whose target folder the folder map does not know. */
class UnmappedFolder extends Error {}

function valueXml(name: string, value: RuleValue, options: ApplySettingsOptions): XmlFragment | undefined {
  const tag = `t:${name}`;
  const map = options.principalMap;
  if ("strings" in value)
    return el(tag, undefined, ...value.strings.map((s) => el("t:String", undefined, s)));
  if ("addresses" in value)
    return el(
      tag,
      undefined,
      ...value.addresses.map((a) =>
        el(
          "t:Address",
          undefined,
          a.name !== undefined ? el("t:Name", undefined, a.name) : undefined,
          el("t:EmailAddress", undefined, map?.get(a.emailAddress.toLowerCase()) ?? a.emailAddress),
          a.routingType !== undefined ? el("t:RoutingType", undefined, a.routingType) : undefined,
        ),
      ),
    );
  if ("boolean" in value) return el(tag, undefined, String(value.boolean));
  if ("choice" in value) return el(tag, undefined, value.choice);
  if ("folderId" in value) {
    const id = value.distinguished === true ? value.folderId : mapFolder(value.folderId, options.folderIdMap);
    if (id === undefined) throw new UnmappedFolder(`${name} names folder ${value.folderId}, not restored`);
    return el(tag, undefined, folderIdXml(id));
  }
  if ("itemId" in value) return el(tag, { Id: value.itemId, ChangeKey: value.changeKey });
  if ("dateRange" in value)
    return el(
      tag,
      undefined,
      optional("t:StartDateTime", value.dateRange.start),
      optional("t:EndDateTime", value.dateRange.end),
    );
  if ("sizeRange" in value)
    return el(
      tag,
      undefined,
      optional("t:MinimumSize", value.sizeRange.minimumSize),
      optional("t:MaximumSize", value.sizeRange.maximumSize),
    );
  return undefined;
}

function partsXml(
  tag: string,
  parts: RuleParts,
  table: typeof PREDICATES,
  options: ApplySettingsOptions,
): XmlFragment | undefined {
  const present = table.filter(([name]) => parts[name] !== undefined);
  if (present.length === 0) return undefined;
  return el(tag, undefined, ...present.map(([name]) => valueXml(name, parts[name] as RuleValue, options)));
}

/** A t:Rule to create (no RuleId: the server assigns it). */
function ruleXml(rule: InboxRule, priority: number, options: ApplySettingsOptions): XmlFragment {
  return el(
    "t:Rule",
    undefined,
    el("t:DisplayName", undefined, rule.displayName),
    el("t:Priority", undefined, priority),
    el("t:IsEnabled", undefined, String(rule.isEnabled)),
    partsXml("t:Conditions", rule.conditions, PREDICATES, options),
    partsXml("t:Exceptions", rule.exceptions, PREDICATES, options),
    partsXml("t:Actions", rule.actions, ACTIONS, options),
  );
}

/** Replaces the mailbox's rules by `rules` (in priority order); one request, all or nothing. */
export async function applyInboxRules(
  scope: OperationScope,
  mailbox: string,
  rules: readonly InboxRule[],
  options: ApplySettingsOptions,
): Promise<SettingsKindReport> {
  const entries: SettingsEntryReport[] = [];
  const creates: { entry: string; xml: XmlFragment }[] = [];
  const ordered = [...rules].sort((a, b) => a.priority - b.priority);
  for (const rule of ordered) {
    const entry = rule.displayName;
    try {
      creates.push({ entry, xml: ruleXml(rule, creates.length + 1, options) });
    } catch (error) {
      if (!(error instanceof UnmappedFolder)) throw error;
      entries.push({ entry, ok: false, failure: { code: "EWS_FOLDER_NOT_FOUND", message: error.message } });
    }
  }
  try {
    const current = await getInboxRules(scope, mailbox, options.signal);
    const deletes = current
      .filter((r) => r.ruleId !== undefined)
      .map((r) => el("t:DeleteRuleOperation", undefined, el("t:RuleId", undefined, r.ruleId as string)));
    if (deletes.length + creates.length === 0) return { ok: true, entries };
    const request = operation(
      "UpdateInboxRules",
      {},
      el("m:MailboxSmtpAddress", undefined, mailbox),
      el("m:RemoveOutlookRuleBlob", undefined, "true"),
      el(
        "m:Operations",
        undefined,
        ...creates.map((c) => el("t:CreateRuleOperation", undefined, c.xml)),
        ...deletes,
      ),
    );
    await callSelfFramed(scope, mailbox, "UpdateInboxRules", request, options.signal);
    for (const c of creates) entries.push({ entry: c.entry, ok: true });
    return { ok: true, entries };
  } catch (error) {
    const failure = settingsFailure(error);
    // The server names the failing operations (0-based, creates first as we sent them).
    const response = (error as { details?: { response?: XmlElement } }).details?.response;
    const bad = new Map<number, string>();
    for (const e of childrenNamed(child(response, "RuleOperationErrors"), "RuleOperationError")) {
      const index = Number(childText(e, "OperationIndex"));
      const validation = child(child(e, "ValidationErrors"), "Error");
      bad.set(index, childText(validation, "ErrorCode") ?? "");
    }
    creates.forEach((c, index) => {
      const code = bad.get(index);
      entries.push({
        entry: c.entry,
        ok: false,
        failure: code
          ? responseFailure(failure.responseCode ?? "ErrorInboxRulesValidationError", code)
          : failure,
      });
    });
    return { ok: false, failure, entries };
  }
}
