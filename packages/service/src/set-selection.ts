// The engine's options for a mailbox of a set: the same set keys `ewsvault backup --set` reads
// (folders, item classes, roots, tags, captureMime, associatedItems, settings, itemConcurrency), so a set backs up the
// same content whether a person or the service runs it.
import type { Selection } from "@ewsvault/core";
import type { ServiceSetConfig } from "./set-config.js";

export interface SetEngineOptions {
  readonly selection: Selection;
  readonly tags: readonly string[];
  readonly captureMime: boolean;
  /** Absent: the engine's default (on where the source serves folder-associated items). */
  readonly associatedItems?: boolean;
  /** Absent: the engine's default (the mailbox's settings backed up where the source reads them). */
  readonly settings?: boolean;
  readonly itemConcurrency?: number;
}

function strings(value: unknown): readonly string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
}

export function engineOptionsOf(set: ServiceSetConfig): SetEngineOptions {
  const roots = strings(set.roots) as Selection["roots"] | undefined;
  const selection: Selection = {
    roots: roots ?? ["mailbox"],
    ...pick("includeFolders", strings(set.includeFolders)),
    ...pick("excludeFolders", strings(set.excludeFolders)),
    ...pick("includeItemClasses", strings(set.includeItemClasses)),
    ...pick("excludeItemClasses", strings(set.excludeItemClasses)),
  };
  return {
    selection,
    tags: strings(set.tags) ?? [],
    captureMime: set.captureMime === true,
    ...(typeof set.associatedItems === "boolean" ? { associatedItems: set.associatedItems } : {}),
    ...(typeof set.settings === "boolean" ? { settings: set.settings } : {}),
    ...(typeof set.itemConcurrency === "number" ? { itemConcurrency: set.itemConcurrency } : {}),
  };
}

function pick<K extends string>(
  key: K,
  value: readonly string[] | undefined,
): { [P in K]?: readonly string[] } {
  return (value === undefined || value.length === 0 ? {} : { [key]: value }) as {
    [P in K]?: readonly string[];
  };
}
