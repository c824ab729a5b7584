// Inbox rules in and out of XML (t:RuleType): predicates (Conditions / Exceptions) and actions,
// each field by kind in the schema's sequence order, and the RuleValidationError list Exchange
// answers a bad UpdateInboxRules operation with.
import { EwsResponseError } from "../errors.js";
import { folderIdXml } from "../server/render-folder.js";
import type { InboxRule, RuleAddress, RuleParts, RuleValue } from "../store/settings.js";
import { attr, child, children, esc, text, type XmlNode, xsBoolean } from "../xml.js";
import { type OperationContext, resolveFolderNode } from "./common.js";

/** s: strings, a: addresses, b: boolean, t: text choice, d: date range, z: size range, f: folder, i: item id. */
type Kind = "s" | "a" | "b" | "t" | "d" | "z" | "f" | "i";

const PREDICATES: readonly (readonly [string, Kind])[] = [
  ["Categories", "s"],
  ["ContainsBodyStrings", "s"],
  ["ContainsHeaderStrings", "s"],
  ["ContainsRecipientStrings", "s"],
  ["ContainsSenderStrings", "s"],
  ["ContainsSubjectOrBodyStrings", "s"],
  ["ContainsSubjectStrings", "s"],
  ["FlaggedForAction", "t"],
  ["FromAddresses", "a"],
  ["FromConnectedAccounts", "s"],
  ["HasAttachments", "b"],
  ["Importance", "t"],
  ["IsApprovalRequest", "b"],
  ["IsAutomaticForward", "b"],
  ["IsAutomaticReply", "b"],
  ["IsEncrypted", "b"],
  ["IsMeetingRequest", "b"],
  ["IsMeetingResponse", "b"],
  ["IsNDR", "b"],
  ["IsPermissionControlled", "b"],
  ["IsReadReceipt", "b"],
  ["IsSigned", "b"],
  ["IsVoicemail", "b"],
  ["ItemClasses", "s"],
  ["MessageClassifications", "s"],
  ["NotSentToMe", "b"],
  ["SentCcMe", "b"],
  ["SentOnlyToMe", "b"],
  ["SentToAddresses", "a"],
  ["SentToMe", "b"],
  ["SentToOrCcMe", "b"],
  ["Sensitivity", "t"],
  ["WithinDateRange", "d"],
  ["WithinSizeRange", "z"],
];

const ACTIONS: readonly (readonly [string, Kind])[] = [
  ["AssignCategories", "s"],
  ["CopyToFolder", "f"],
  ["Delete", "b"],
  ["ForwardAsAttachmentToRecipients", "a"],
  ["ForwardToRecipients", "a"],
  ["MarkImportance", "t"],
  ["MarkAsRead", "b"],
  ["MoveToFolder", "f"],
  ["PermanentDelete", "b"],
  ["RedirectToRecipients", "a"],
  ["SendSMSAlertToRecipients", "a"],
  ["ServerReplyWithMessage", "i"],
  ["StopProcessingRules", "b"],
];

const CHOICES: Readonly<Record<string, ReadonlySet<string>>> = {
  Importance: new Set(["Low", "Normal", "High"]),
  MarkImportance: new Set(["Low", "Normal", "High"]),
  Sensitivity: new Set(["Normal", "Personal", "Private", "Confidential"]),
  FlaggedForAction: new Set([
    "Any",
    "Call",
    "DoNotForward",
    "FollowUp",
    "FYI",
    "Forward",
    "NoResponseNecessary",
    "Read",
    "Reply",
    "ReplyToAll",
    "Review",
  ]),
};

/** One RuleValidationError (FieldURI is a t:RuleFieldURIType value, ErrorCode a RuleValidationErrorCodeType). */
export interface RuleValidationError {
  readonly field: string;
  readonly code: string;
  readonly message: string;
  readonly value: string;
}

/** Thrown while parsing a rule; UpdateInboxRules turns it into a RuleOperationError. */
export class RuleInvalid extends Error {
  constructor(readonly error: RuleValidationError) {
    super(error.message);
  }
}

function invalid(field: string, code: string, message: string, value = ""): RuleInvalid {
  return new RuleInvalid({ field, code, message, value });
}

function strings(node: XmlNode): string[] {
  return children(node, "String").map((s) => text(s) ?? "");
}

function addresses(node: XmlNode, field: string): RuleAddress[] {
  return children(node, "Address").map((a) => {
    const address = text(a, "EmailAddress")?.trim() ?? "";
    if (!/^[^@\s]+@[^@\s]+$/.test(address))
      throw invalid(field, "InvalidAddress", "The e-mail address is not valid.", address);
    const name = text(a, "Name");
    return name === undefined || name === "" ? { address } : { address, name };
  });
}

function parsePart(
  ctx: OperationContext,
  node: XmlNode | undefined,
  fields: readonly (readonly [string, Kind])[],
  prefix: string,
): RuleParts {
  const out: Record<string, RuleValue> = {};
  if (node === undefined) return out;
  for (const [name, kind] of fields) {
    const value = child(node, name);
    if (value === undefined) continue;
    const field = `${prefix}:${name}`;
    switch (kind) {
      case "s": {
        const list = strings(value);
        if (list.length === 0 || list.some((s) => s === ""))
          throw invalid(field, "EmptyValueFound", "The value is empty.");
        out[name] = list;
        break;
      }
      case "a": {
        const list = addresses(value, field);
        if (list.length === 0) throw invalid(field, "EmptyValueFound", "The address list is empty.");
        out[name] = list;
        break;
      }
      case "b": {
        try {
          out[name] = xsBoolean(text(value)) ?? false;
        } catch {
          throw invalid(field, "InvalidValue", "The value is not a boolean.", text(value) ?? "");
        }
        break;
      }
      case "t": {
        const choice = text(value)?.trim() ?? "";
        if (CHOICES[name]?.has(choice) === false)
          throw invalid(field, "InvalidValue", "The value is not valid.", choice);
        out[name] = choice;
        break;
      }
      case "d": {
        const start = text(value, "StartDateTime")?.trim();
        const end = text(value, "EndDateTime")?.trim();
        if (start === undefined && end === undefined)
          throw invalid(field, "MissingRangeValue", "The date range is empty.");
        if (start !== undefined && end !== undefined && Date.parse(start) >= Date.parse(end))
          throw invalid(
            field,
            "InvalidDateRange",
            "The start of the date range is not before its end.",
            start,
          );
        out[name] = { ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }) };
        break;
      }
      case "z": {
        const minText = text(value, "MinimumSize")?.trim();
        const maxText = text(value, "MaximumSize")?.trim();
        if (minText === undefined && maxText === undefined)
          throw invalid(field, "MissingRangeValue", "The size range is empty.");
        const min = minText === undefined ? undefined : Number(minText);
        const max = maxText === undefined ? undefined : Number(maxText);
        if ((min !== undefined && !(min >= 0)) || (max !== undefined && !(max >= 0)))
          throw invalid(field, "SizeLessThanZero", "A size is less than zero.", minText ?? maxText ?? "");
        if (min !== undefined && max !== undefined && min > max)
          throw invalid(field, "InvalidSizeRange", "The minimum size is larger than the maximum.", minText!);
        out[name] = { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
        break;
      }
      case "f": {
        const folderNode = child(value, "FolderId") ?? child(value, "DistinguishedFolderId");
        const kindName = child(value, "FolderId") !== undefined ? "FolderId" : "DistinguishedFolderId";
        const id = attr(folderNode, "Id") ?? "";
        try {
          if (folderNode === undefined) throw new Error("no folder id");
          const folder = resolveFolderNode(ctx, kindName, folderNode);
          if (folder.mailbox !== ctx.mailbox || folder.deleted) throw new Error("not this mailbox's folder");
          out[name] = ctx.store.folderIdOf(folder);
        } catch (error) {
          if (error instanceof RuleInvalid) throw error;
          throw invalid(field, "FolderDoesNotExist", "The folder does not exist.", id);
        }
        break;
      }
      case "i": {
        const id = attr(child(value, "ItemId") ?? value, "Id") ?? "";
        if (id === "") throw invalid(field, "EmptyValueFound", "The item id is empty.");
        out[name] = id;
        break;
      }
    }
  }
  return out;
}

/** The rule of a CreateRuleOperation / SetRuleOperation (id and priority as sent). */
export function parseRule(
  ctx: OperationContext,
  node: XmlNode,
): Omit<InboxRule, "id"> & { readonly id: string | undefined } {
  const displayName = text(node, "DisplayName")?.trim() ?? "";
  if (displayName === "") throw invalid("DisplayName", "EmptyValueFound", "The rule has no display name.");
  const priorityText = text(node, "Priority")?.trim() ?? "";
  const priority = Number(priorityText);
  if (!Number.isInteger(priority) || priority < 1)
    throw invalid("Priority", "InvalidValue", "The priority must be a positive integer.", priorityText);
  let isEnabled: boolean;
  try {
    isEnabled = xsBoolean(text(node, "IsEnabled")) ?? true;
  } catch (error) {
    if (error instanceof EwsResponseError)
      throw invalid("RuleId", "InvalidValue", "IsEnabled is not a boolean.");
    throw error;
  }
  const actions = parsePart(ctx, child(node, "Actions"), ACTIONS, "Action");
  if (Object.keys(actions).length === 0) throw invalid("Actions", "MissingAction", "The rule has no action.");
  const ruleId = text(node, "RuleId")?.trim();
  return {
    id: ruleId === undefined || ruleId === "" ? undefined : ruleId,
    displayName,
    priority,
    isEnabled,
    conditions: parsePart(ctx, child(node, "Conditions"), PREDICATES, "Condition"),
    exceptions: parsePart(ctx, child(node, "Exceptions"), PREDICATES, "Exception"),
    actions,
  };
}

function addressXml(ctx: OperationContext, address: RuleAddress): string {
  const known = ctx.store.mailboxBySmtp(address.address) !== undefined;
  const name = address.name === undefined ? "" : `<t:Name>${esc(address.name)}</t:Name>`;
  return `<t:Address>${name}<t:EmailAddress>${esc(address.address)}</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>${known ? "Mailbox" : "OneOff"}</t:MailboxType></t:Address>`;
}

function folderXml(ctx: OperationContext, id: string): string {
  try {
    return folderIdXml(ctx.store, ctx.store.findFolder(id));
  } catch {
    return `<t:FolderId Id="${esc(id)}"/>`;
  }
}

function valueXml(ctx: OperationContext, kind: Kind, value: RuleValue): string {
  switch (kind) {
    case "s":
      return (value as string[]).map((s) => `<t:String>${esc(s)}</t:String>`).join("");
    case "a":
      return (value as RuleAddress[]).map((a) => addressXml(ctx, a)).join("");
    case "b":
      return value === true ? "true" : "false";
    case "t":
      return esc(value as string);
    case "d": {
      const range = value as { start?: string; end?: string };
      return `${range.start === undefined ? "" : `<t:StartDateTime>${esc(range.start)}</t:StartDateTime>`}${range.end === undefined ? "" : `<t:EndDateTime>${esc(range.end)}</t:EndDateTime>`}`;
    }
    case "z": {
      const range = value as { min?: number; max?: number };
      return `${range.min === undefined ? "" : `<t:MinimumSize>${range.min}</t:MinimumSize>`}${range.max === undefined ? "" : `<t:MaximumSize>${range.max}</t:MaximumSize>`}`;
    }
    case "f":
      return folderXml(ctx, value as string);
    case "i":
      return `<t:ItemId Id="${esc(value as string)}"/>`;
  }
}

function partXml(
  ctx: OperationContext,
  element: string,
  part: RuleParts,
  fields: readonly (readonly [string, Kind])[],
): string {
  let inner = "";
  for (const [name, kind] of fields) {
    const value = part[name];
    if (value === undefined) continue;
    // ServerReplyWithMessage is an ItemIdType itself: its Id goes on the element.
    inner +=
      kind === "i"
        ? `<t:${name} Id="${esc(value as string)}"/>`
        : `<t:${name}>${valueXml(ctx, kind, value)}</t:${name}>`;
  }
  return inner === "" ? "" : `<t:${element}>${inner}</t:${element}>`;
}

/** `<t:Rule>` in the schema's order. */
export function ruleXml(ctx: OperationContext, rule: InboxRule): string {
  return `<t:Rule><t:RuleId>${esc(rule.id)}</t:RuleId><t:DisplayName>${esc(rule.displayName)}</t:DisplayName><t:Priority>${rule.priority}</t:Priority><t:IsEnabled>${rule.isEnabled}</t:IsEnabled><t:IsNotSupported>false</t:IsNotSupported><t:IsInError>false</t:IsInError>${partXml(ctx, "Conditions", rule.conditions, PREDICATES)}${partXml(ctx, "Exceptions", rule.exceptions, PREDICATES)}${partXml(ctx, "Actions", rule.actions, ACTIONS)}</t:Rule>`;
}

export function validationErrorXml(e: RuleValidationError): string {
  return `<t:Error><t:FieldURI>${esc(e.field)}</t:FieldURI><t:ErrorCode>${esc(e.code)}</t:ErrorCode><t:ErrorMessage>${esc(e.message)}</t:ErrorMessage><t:FieldValue>${esc(e.value)}</t:FieldValue></t:Error>`;
}
