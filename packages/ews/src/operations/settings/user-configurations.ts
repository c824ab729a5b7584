// User configurations: named configuration objects of a folder (Outlook's CategoryList and the
// calendar options in the Calendar, OWA's options in the root, ...). EWS has no "list" call, but
// Exchange keeps each object as an associated item of class IPM.Configuration.<name> in its
// folder (MS-OXOCFG), so the listing of each candidate folder's associated items is the list of
// its objects: exactly those are read, each with GetUserConfiguration (All parts). A restore
// creates each object and, when it exists already (ErrorItemSave), updates it instead.
import type {
  ApplySettingsOptions,
  DictionaryObject,
  SettingsEntryReport,
  SettingsKindReport,
  UserConfiguration,
} from "@ewsvault/mailbox";
import pLimit from "p-limit";
import { callContext, type OperationScope } from "../../call.js";
import { errorCodeForResponseCode, ewsError } from "../../errors.js";
import { findItemRequest, folderId as folderIdXml } from "../../requests.js";
import { itemElements } from "../../responses.js";
import { isSuccess, operation, responseMessages } from "../../soap.js";
import { child, childrenNamed, childText, type XmlElement } from "../../xml-parser.js";
import { el, type XmlFragment } from "../../xml-writer.js";
import { mapFolder, responseFailure } from "./settings-call.js";

/** Folders searched for configuration objects (distinguished names, so a backup is portable). */
export const CONFIGURATION_FOLDERS = [
  "root",
  "msgfolderroot",
  "inbox",
  "calendar",
  "contacts",
  "tasks",
  "notes",
];

/**
 * GetUserConfiguration calls in flight per mailbox: a mailbox keeps a handful of objects
 * (CategoryList, Calendar, WorkHours, OWA's, MRM), so most are read in one round trip.
 */
const CONFIGURATION_READS_AT_ONCE = 6;

/** Associated items listed per folder (one page; more configuration objects per folder are not expected). */
const LISTING_PAGE = 1000;

const PREFIX = "IPM.Configuration.";
const XSI = "http://www.w3.org/2001/XMLSchema-instance";

function nameXml(folderId: string, name: string, delegate: string | undefined): XmlFragment {
  return el("t:UserConfigurationName", { Name: name }, folderIdXml(folderId, delegate));
}

/**
 * The configuration names in each of `folderIds`, by one FindItem naming every folder (Exchange
 * answers one response message per parent folder, in request order).
 */
async function listNames(
  scope: OperationScope,
  mailbox: string,
  folderIds: readonly string[],
  signal: AbortSignal | undefined,
): Promise<(readonly [string, string])[]> {
  const access = scope.access(mailbox);
  const request = findItemRequest({
    folderId: folderIds,
    offset: 0,
    pageSize: LISTING_PAGE,
    associated: true,
    delegateMailbox: access.delegate,
  });
  const result = await scope.transport.call("FindItem", request, callContext(access, signal));
  const messages = responseMessages(result.soap.body);
  // A refusal other than a folder this mailbox lacks (a lone request-level error, or a server
  // that will not search several folders at once): list them one by one.
  const refused =
    messages.length !== folderIds.length ||
    messages.some((m) => !isSuccess(m) && m.responseCode !== "ErrorFolderNotFound");
  if (folderIds.length > 1 && refused) {
    const each = await Promise.all(folderIds.map((id) => listNames(scope, mailbox, [id], signal)));
    return each.flat();
  }
  return folderIds.flatMap((folderId, index) => {
    const message = messages[index];
    // A folder this mailbox lacks (no notes folder, ...) simply holds no configuration.
    if (message === undefined || !isSuccess(message)) return [];
    return itemElements(child(child(message.element, "RootFolder"), "Items"))
      .map((item) => childText(item, "ItemClass") ?? "")
      .filter((cls) => cls.startsWith(PREFIX) && cls.length > PREFIX.length)
      .map((cls) => [folderId, cls.slice(PREFIX.length)] as const);
  });
}

function parseObject(element: XmlElement | undefined): DictionaryObject {
  return {
    type: childText(element, "Type")?.trim() ?? "",
    values: childrenNamed(element, "Value").map((v) => v.text),
  };
}

function parseConfiguration(folderId: string, element: XmlElement): UserConfiguration {
  const name = child(element, "UserConfigurationName")?.attributes.Name;
  if (name === undefined) throw ewsError("EWS_MALFORMED_RESPONSE", "UserConfiguration lacks its name");
  const dictionary = child(element, "Dictionary");
  const xmlData = childText(element, "XmlData")?.replace(/\s+/g, "");
  const binaryData = childText(element, "BinaryData")?.replace(/\s+/g, "");
  return {
    folderId,
    name,
    ...(dictionary !== undefined
      ? {
          dictionary: childrenNamed(dictionary, "DictionaryEntry").map((entry) => {
            const value = child(entry, "DictionaryValue");
            const nil = value === undefined || child(value, "Type") === undefined;
            return {
              key: parseObject(child(entry, "DictionaryKey")),
              value: nil ? null : parseObject(value),
            };
          }),
        }
      : {}),
    ...(xmlData !== undefined ? { xmlData } : {}),
    ...(binaryData !== undefined ? { binaryData } : {}),
  };
}

/** One object, or undefined when the folder has none of that name (ErrorItemNotFound). */
async function getConfiguration(
  scope: OperationScope,
  mailbox: string,
  folderId: string,
  name: string,
  signal: AbortSignal | undefined,
): Promise<UserConfiguration | undefined> {
  const access = scope.access(mailbox);
  const request = operation(
    "GetUserConfiguration",
    {},
    el("m:UserConfigurationName", { Name: name }, folderIdXml(folderId, access.delegate)),
    el("m:UserConfigurationProperties", undefined, "All"),
  );
  const result = await scope.transport.call("GetUserConfiguration", request, callContext(access, signal));
  const [message] = responseMessages(result.soap.body);
  if (message === undefined)
    throw ewsError("EWS_MALFORMED_RESPONSE", "GetUserConfiguration answered nothing");
  if (!isSuccess(message)) {
    if (message.responseCode === "ErrorItemNotFound" || message.responseCode === "ErrorFolderNotFound")
      return undefined;
    const text = `${message.responseCode}${message.messageText ? ` (${message.messageText})` : ""}`;
    throw ewsError(errorCodeForResponseCode(message.responseCode), `GetUserConfiguration ${name}: ${text}`, {
      details: { responseCode: message.responseCode, mailbox, operation: "GetUserConfiguration" },
    });
  }
  const element = child(message.element, "UserConfiguration");
  return element === undefined ? undefined : parseConfiguration(folderId, element);
}

export async function getUserConfigurations(
  scope: OperationScope,
  mailbox: string,
  signal?: AbortSignal,
): Promise<UserConfiguration[]> {
  // One read per object: names match case-insensitively, so two FAI whose classes differ only in
  // case are one object (the first spelling listed is kept).
  const wanted = new Map<string, readonly [string, string]>();
  for (const [folder, name] of await listNames(scope, mailbox, CONFIGURATION_FOLDERS, signal)) {
    const key = `${folder}\n${name.toLowerCase()}`;
    if (!wanted.has(key)) wanted.set(key, [folder, name]);
  }
  // Read a few at once (one round trip each; the client's gate still bounds the account), and
  // keep the listing's order so the stored document does not depend on answer order.
  const limit = pLimit(CONFIGURATION_READS_AT_ONCE);
  const read = await Promise.all(
    [...wanted.values()].map(([folder, name]) =>
      limit(() => getConfiguration(scope, mailbox, folder, name, signal)),
    ),
  );
  return read.filter((config): config is UserConfiguration => config !== undefined);
}

function objectXml(tag: string, object: DictionaryObject): XmlFragment {
  return el(
    tag,
    undefined,
    el("t:Type", undefined, object.type),
    ...object.values.map((v) => el("t:Value", undefined, v)),
  );
}

function configurationXml(
  config: UserConfiguration,
  folderId: string,
  delegate: string | undefined,
): XmlFragment {
  return el(
    "m:UserConfiguration",
    undefined,
    nameXml(folderId, config.name, delegate),
    config.dictionary !== undefined
      ? el(
          "t:Dictionary",
          undefined,
          ...config.dictionary.map((entry) =>
            el(
              "t:DictionaryEntry",
              undefined,
              objectXml("t:DictionaryKey", entry.key),
              // A nil value is sent as Exchange writes it: the element, xsi:nil (the schema requires it).
              entry.value === null
                ? el("t:DictionaryValue", { "xmlns:xsi": XSI, "xsi:nil": "true" })
                : objectXml("t:DictionaryValue", entry.value),
            ),
          ),
        )
      : undefined,
    config.xmlData !== undefined ? el("t:XmlData", undefined, config.xmlData) : undefined,
    config.binaryData !== undefined ? el("t:BinaryData", undefined, config.binaryData) : undefined,
  );
}

/** Creates each object, or updates it when the folder has one of that name already. */
export async function applyUserConfigurations(
  scope: OperationScope,
  mailbox: string,
  configs: readonly UserConfiguration[],
  options: ApplySettingsOptions,
): Promise<SettingsKindReport> {
  const access = scope.access(mailbox);
  const entries: SettingsEntryReport[] = [];
  for (const config of configs) {
    const entry = `${config.folderId}/${config.name}`;
    const folder = mapFolder(config.folderId, options.folderIdMap);
    if (folder === undefined) {
      const message = `folder ${config.folderId} was not restored`;
      entries.push({ entry, ok: false, failure: { code: "EWS_FOLDER_NOT_FOUND", message } });
      continue;
    }
    const body = configurationXml(config, folder, access.delegate);
    const context = callContext(access, options.signal);
    const created = await scope.transport.call(
      "CreateUserConfiguration",
      operation("CreateUserConfiguration", {}, body),
      context,
    );
    let [message] = responseMessages(created.soap.body);
    if (message !== undefined && message.responseCode === "ErrorItemSave") {
      const updated = await scope.transport.call(
        "UpdateUserConfiguration",
        operation("UpdateUserConfiguration", {}, body),
        context,
      );
      [message] = responseMessages(updated.soap.body);
    }
    if (message === undefined)
      entries.push({
        entry,
        ok: false,
        failure: { code: "EWS_MALFORMED_RESPONSE", message: "no response message" },
      });
    else if (isSuccess(message)) entries.push({ entry, ok: true });
    else
      entries.push({ entry, ok: false, failure: responseFailure(message.responseCode, message.messageText) });
  }
  return { ok: true, entries };
}
