// GetUserConfiguration, CreateUserConfiguration, UpdateUserConfiguration and
// DeleteUserConfiguration: named configuration objects of a folder (Outlook's CategoryList in the
// Calendar, the calendar's options dictionary, ...), each with a typed dictionary, XML data and
// binary data. As in Exchange, each is a folder-associated item of class IPM.Configuration.<name>
// (store/user-configurations.ts), so it has an ItemId (UserConfigurationProperties Id) and shows
// wherever associated items show. A missing object is ErrorItemNotFound; creating one that exists
// is ErrorItemSave; an FAI whose dictionary stream cannot be read (written by other means than
// these calls) is ErrorCorruptData. Dictionary values come back as the stream keeps them:
// Booleans as true/false, integers in canonical decimal (as Exchange answers).
import { EwsResponseError } from "../errors.js";
import { itemIdXml } from "../server/render.js";
import { folderIdXml } from "../server/render-folder.js";
import type { ItemRecord } from "../store/records.js";
import type { DictionaryEntry, DictionaryObject, UserConfiguration } from "../store/settings.js";
import {
  createConfiguration,
  deleteConfiguration,
  findConfiguration,
  readConfiguration,
  writeConfiguration,
} from "../store/user-configurations.js";
import { attr, child, children, esc, text, type XmlNode } from "../xml.js";
import {
  type Operation,
  type OperationContext,
  perEntry,
  resolveFolderNode,
  successMessage,
} from "./common.js";

const TYPES: ReadonlySet<string> = new Set([
  "DateTime",
  "Boolean",
  "Byte",
  "String",
  "Integer32",
  "UnsignedInteger32",
  "Integer64",
  "UnsignedInteger64",
  "StringArray",
  "ByteArray",
]);

const INTEGER_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  Byte: [0n, 255n],
  Integer32: [-(2n ** 31n), 2n ** 31n - 1n],
  UnsignedInteger32: [0n, 2n ** 32n - 1n],
  Integer64: [-(2n ** 63n), 2n ** 63n - 1n],
  UnsignedInteger64: [0n, 2n ** 64n - 1n],
};

function badValue(message: string): EwsResponseError {
  return new EwsResponseError("ErrorInvalidValueForProperty", message);
}

function parseObject(node: XmlNode | undefined): DictionaryObject {
  const type = text(node, "Type")?.trim() ?? "";
  if (!TYPES.has(type)) throw badValue(`Unknown dictionary object type '${type}'.`);
  const values = children(node, "Value").map((v) => text(v) ?? "");
  if (values.length === 0 || (values.length > 1 && type !== "StringArray"))
    throw badValue(`A ${type} dictionary object needs exactly one value.`);
  for (const value of values) {
    const range = INTEGER_RANGES[type];
    if (range !== undefined) {
      if (!/^-?\d+$/.test(value.trim()) || BigInt(value.trim()) < range[0] || BigInt(value.trim()) > range[1])
        throw badValue(`'${value}' is not a ${type}.`);
    }
    if (type === "Boolean" && !/^(true|false|1|0)$/.test(value.trim()))
      throw badValue(`'${value}' is not a Boolean.`);
    if (type === "DateTime" && Number.isNaN(Date.parse(value)))
      throw badValue(`'${value}' is not a DateTime.`);
  }
  return { type, values };
}

function parseDictionary(node: XmlNode): DictionaryEntry[] {
  const seen = new Set<string>();
  return children(node, "DictionaryEntry").map((entry) => {
    const key = parseObject(child(entry, "DictionaryKey"));
    const id = `${key.type}\n${key.values.join("\n")}`;
    if (seen.has(id)) throw badValue("A dictionary key appears twice.");
    seen.add(id);
    const valueNode = child(entry, "DictionaryValue");
    const nil =
      valueNode === undefined || attr(valueNode, "nil") === "true" || child(valueNode, "Type") === undefined;
    return { key, value: nil ? null : parseObject(valueNode) };
  });
}

function base64(node: XmlNode, name: string): string | undefined {
  const value = text(node, name);
  if (value === undefined) return undefined;
  const compact = value.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0)
    throw new EwsResponseError("ErrorSchemaValidation", `${name} is not base64.`);
  return compact;
}

/** The folder and name of a UserConfigurationName element. */
function nameOf(ctx: OperationContext, node: XmlNode | undefined) {
  const name = attr(node, "Name")?.trim() ?? "";
  if (name === "") throw new EwsResponseError("ErrorInvalidArgument", "The configuration name is empty.");
  const folderNode = child(node, "FolderId") ?? child(node, "DistinguishedFolderId");
  if (folderNode === undefined)
    throw new EwsResponseError("ErrorInvalidIdEmpty", "The configuration names no folder.");
  const folder = resolveFolderNode(
    ctx,
    child(node, "FolderId") !== undefined ? "FolderId" : "DistinguishedFolderId",
    folderNode,
  );
  return { folder, name };
}

function notFound(): EwsResponseError {
  return new EwsResponseError("ErrorItemNotFound", "The specified object was not found in the store.");
}

function objectXml(element: string, object: DictionaryObject): string {
  return `<t:${element}><t:Type>${object.type}</t:Type>${object.values.map((v) => `<t:Value>${esc(v)}</t:Value>`).join("")}</t:${element}>`;
}

/** The object as UserConfigurationType (schema order: name, ItemId, Dictionary, XmlData, BinaryData). */
function configurationXml(
  ctx: OperationContext,
  record: ItemRecord,
  config: UserConfiguration,
  parts: ReadonlySet<string>,
): string {
  const all = parts.has("All");
  let out = `<t:UserConfigurationName Name="${esc(config.name)}">${folderIdXml(ctx.store, record.folder)}</t:UserConfigurationName>`;
  if (all || parts.has("Id")) out += itemIdXml(ctx.store, record);
  if ((all || parts.has("Dictionary")) && config.dictionary !== undefined) {
    out += `<t:Dictionary>${config.dictionary
      .map(
        (e) =>
          `<t:DictionaryEntry>${objectXml("DictionaryKey", e.key)}${e.value === null ? `<t:DictionaryValue xsi:nil="true"/>` : objectXml("DictionaryValue", e.value)}</t:DictionaryEntry>`,
      )
      .join("")}</t:Dictionary>`;
  }
  if ((all || parts.has("XmlData")) && config.xmlData !== undefined)
    out += `<t:XmlData>${config.xmlData}</t:XmlData>`;
  if ((all || parts.has("BinaryData")) && config.binaryData !== undefined)
    out += `<t:BinaryData>${config.binaryData}</t:BinaryData>`;
  return `<m:UserConfiguration>${out}</m:UserConfiguration>`;
}

export const getUserConfiguration: Operation = {
  messageName: "GetUserConfigurationResponseMessage",
  run(request, ctx) {
    const parts = new Set((text(request, "UserConfigurationProperties") ?? "All").trim().split(/\s+/));
    return perEntry(this, [request], () => {
      const { folder, name } = nameOf(ctx, child(request, "UserConfigurationName"));
      const record = findConfiguration(ctx.store, folder, name);
      if (record === undefined) throw notFound();
      const config = readConfiguration(ctx.store, record);
      return successMessage(this.messageName, configurationXml(ctx, record, config, parts));
    });
  },
};

/** The UserConfiguration of a Create or Update request: its folder, name and the parts it carries. */
function parseConfiguration(ctx: OperationContext, node: XmlNode | undefined) {
  if (node === undefined)
    throw new EwsResponseError("ErrorSchemaValidation", "UserConfiguration is missing.");
  const { folder, name } = nameOf(ctx, child(node, "UserConfigurationName"));
  const dictionaryNode = child(node, "Dictionary");
  const xmlData = base64(node, "XmlData");
  const binaryData = base64(node, "BinaryData");
  const parts = {
    ...(dictionaryNode === undefined ? {} : { dictionary: parseDictionary(dictionaryNode) }),
    ...(xmlData === undefined ? {} : { xmlData }),
    ...(binaryData === undefined ? {} : { binaryData }),
  };
  return { folder, name, parts };
}

export const createUserConfiguration: Operation = {
  messageName: "CreateUserConfigurationResponseMessage",
  run(request, ctx) {
    return perEntry(this, [request], () => {
      const { folder, name, parts } = parseConfiguration(ctx, child(request, "UserConfiguration"));
      if (findConfiguration(ctx.store, folder, name) !== undefined)
        throw new EwsResponseError("ErrorItemSave", "The configuration object already exists.");
      createConfiguration(ctx.store, folder, name, parts);
      return successMessage(this.messageName);
    });
  },
};

export const updateUserConfiguration: Operation = {
  messageName: "UpdateUserConfigurationResponseMessage",
  run(request, ctx) {
    return perEntry(this, [request], () => {
      const { folder, name, parts } = parseConfiguration(ctx, child(request, "UserConfiguration"));
      const record = findConfiguration(ctx.store, folder, name);
      if (record === undefined) throw notFound();
      // Parts the update carries replace the stored ones; parts it leaves out stay.
      const { name: _name, folderId: _folderId, ...current } = readConfiguration(ctx.store, record);
      writeConfiguration(ctx.store, record, { ...current, ...parts });
      return successMessage(this.messageName);
    });
  },
};

export const deleteUserConfiguration: Operation = {
  messageName: "DeleteUserConfigurationResponseMessage",
  run(request, ctx) {
    return perEntry(this, [request], () => {
      const { folder, name } = nameOf(ctx, child(request, "UserConfigurationName"));
      const record = findConfiguration(ctx.store, folder, name);
      if (record === undefined) throw notFound();
      deleteConfiguration(ctx.store, record);
      return successMessage(this.messageName);
    });
  },
};
