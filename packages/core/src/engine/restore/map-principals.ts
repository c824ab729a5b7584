// Restore of settings, principals: every person a setting names (permission users, delegates,
// addresses of rule predicates and actions) rewritten through a principal map (lower-case SMTP
// address as backed up -> address to write), for a restore into another mailbox or
// organisation. A principal the map lacks is left out of what is written and returned as an
// UnmappedPrincipal, never silently dropped. Default and Anonymous permission entries are no
// persons and pass unchanged. Pure functions over the port's values.

import type {
  DelegateUser,
  FolderPermission,
  InboxRule,
  PrincipalId,
  RuleAddress,
  RuleParts,
  RuleValue,
  SettingsKind,
} from "@ewsvault/mailbox";
import type { UnmappedPrincipal } from "./settings-types.js";

export type PrincipalMap = ReadonlyMap<string, string>;

/** Collects what mapping left out, for the report. */
export type UnmappedSink = (principal: UnmappedPrincipal) => void;

function unmapped(kind: SettingsKind, entry: string, field: string, address: string): UnmappedPrincipal {
  // Addresses compare case-insensitively (lower-case, as map keys); a SID is kept as it is.
  const named = address.includes("@") ? address.toLowerCase() : address;
  return { kind, entry, field, address: named, code: "SETTINGS_PRINCIPAL_UNMAPPED" };
}

/**
 * A permission user or delegate mapped: the new address only (a SID or display name of the
 * source's directory means nothing to the target's), or undefined when the map lacks it.
 */
export function mapPrincipalId(user: PrincipalId, map: PrincipalMap): PrincipalId | undefined {
  if (user.distinguishedUser !== undefined) return user;
  const address = user.primarySmtpAddress?.toLowerCase();
  const mapped = address === undefined ? undefined : map.get(address);
  return mapped === undefined ? undefined : { primarySmtpAddress: mapped };
}

/** How an unmapped principal is named in the report (its address, else what identifies it). */
export function principalLabel(user: PrincipalId): string {
  return user.primarySmtpAddress ?? user.externalUserIdentity ?? user.sid ?? user.displayName ?? "?";
}

export function mapPermissions(
  permissions: readonly FolderPermission[],
  map: PrincipalMap,
  entry: string,
  sink: UnmappedSink,
): FolderPermission[] {
  const out: FolderPermission[] = [];
  for (const permission of permissions) {
    const user = mapPrincipalId(permission.user, map);
    if (user === undefined)
      sink(unmapped("folderPermissions", entry, "permission", principalLabel(permission.user)));
    else out.push({ ...permission, user });
  }
  return out;
}

/** The delegate mapped, or undefined (reported) when the map lacks it. */
export function mapDelegate(
  delegate: DelegateUser,
  map: PrincipalMap,
  entry: string,
  sink: UnmappedSink,
): DelegateUser | undefined {
  const user = mapPrincipalId(delegate.user, map);
  if (user === undefined) sink(unmapped("delegates", entry, "delegate", principalLabel(delegate.user)));
  return user === undefined ? undefined : { ...delegate, user };
}

function mapAddresses(
  addresses: readonly RuleAddress[],
  map: PrincipalMap,
  entry: string,
  field: string,
  sink: UnmappedSink,
): RuleAddress[] {
  const out: RuleAddress[] = [];
  for (const address of addresses) {
    const mapped = map.get(address.emailAddress.toLowerCase());
    if (mapped === undefined) sink(unmapped("inboxRules", entry, field, address.emailAddress));
    else
      out.push({
        emailAddress: mapped,
        ...(address.routingType === undefined ? {} : { routingType: address.routingType }),
      });
  }
  return out;
}

/** Parts with their address lists mapped; `emptied` names the parts that lost every address. */
function mapParts(
  parts: RuleParts,
  map: PrincipalMap,
  entry: string,
  sink: UnmappedSink,
): { parts: Record<string, RuleValue>; emptied: string[] } {
  const out: Record<string, RuleValue> = {};
  const emptied: string[] = [];
  for (const [name, value] of Object.entries(parts)) {
    if (!("addresses" in value)) {
      out[name] = value;
      continue;
    }
    const addresses = mapAddresses(value.addresses, map, entry, name, sink);
    if (addresses.length === 0) emptied.push(name);
    else out[name] = { addresses };
  }
  return { parts: out, emptied };
}

/**
 * A rule with its addresses mapped, or why it cannot be written: a condition or exception that
 * lost every address would widen the rule to all mail (a "from X: delete" rule would delete
 * everything), so such a rule is not written; an action that lost every address is dropped,
 * and a rule left without actions is not written.
 */
export function mapRule(
  rule: InboxRule,
  map: PrincipalMap,
  entry: string,
  sink: UnmappedSink,
): { readonly rule: InboxRule } | { readonly skipped: string } {
  const conditions = mapParts(rule.conditions, map, entry, sink);
  const exceptions = mapParts(rule.exceptions, map, entry, sink);
  const actions = mapParts(rule.actions, map, entry, sink);
  const widened = [...conditions.emptied, ...exceptions.emptied];
  if (widened.length > 0)
    return { skipped: `${widened.join(", ")} would name no one after mapping principals` };
  if (Object.keys(actions.parts).length === 0)
    return { skipped: `no action left after mapping principals (${actions.emptied.join(", ")})` };
  return {
    rule: { ...rule, conditions: conditions.parts, exceptions: exceptions.parts, actions: actions.parts },
  };
}
