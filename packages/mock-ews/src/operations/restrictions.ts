// FindItem / FindFolder restrictions (t:Restriction) and sort orders, compiled once into
// predicates over any subject (an item, a folder). What a property path means is the caller's
// business (a PathResolver); the comparison semantics are Exchange's: multi-valued properties
// (item:Categories) match when any value does, a missing property fails every comparison except
// IsNotEqualTo, string comparisons ignore case, and xs:boolean constants accept 1/0.
import { EwsResponseError } from "../errors.js";
import { attr, child, childNames, children, type XmlNode, xsBoolean } from "../xml.js";

export type Scalar = string | number | boolean;
/** A property's values on a subject; undefined (or empty) when the subject does not have it. */
export type Getter<S> = (subject: S) => readonly Scalar[] | undefined;
/**
 * Turns a property path element (`kind` is FieldURI, IndexedFieldURI or ExtendedFieldURI) into a
 * getter. MUST throw ErrorUnsupportedPathForQuery for a path it cannot evaluate.
 */
export type PathResolver<S> = (kind: string, node: XmlNode, use: PathUse) => Getter<S>;
/** What the path is used for: some properties (the body) can only be searched, not compared or sorted. */
export type PathUse = "compare" | "contains" | "sort";

const PATH_KINDS = ["FieldURI", "IndexedFieldURI", "ExtendedFieldURI"] as const;

/** The property path a restriction element (or FieldOrder) names. */
export function pathGetter<S>(
  node: XmlNode | undefined,
  resolve: PathResolver<S>,
  use: PathUse = "compare",
): Getter<S> {
  for (const kind of PATH_KINDS) {
    const path = child(node, kind);
    if (path !== undefined) return resolve(kind, path, use);
  }
  throw new EwsResponseError("ErrorInvalidRestriction", "The restriction names no property.");
}

const NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A constant read as the type of the property it is compared with. */
function coerce(raw: string, sample: Scalar): Scalar {
  if (typeof sample === "boolean") return xsBoolean(raw) === true;
  if (typeof sample === "number") {
    if (NUMERIC.test(raw)) return Number(raw);
    const ms = Date.parse(raw);
    if (Number.isNaN(ms))
      throw new EwsResponseError(
        "ErrorInvalidValueForProperty",
        `'${raw.slice(0, 40)}' is not valid for this property.`,
      );
    return ms;
  }
  return raw;
}

/**
 * Enumerations Exchange stores as integers (Importance, Sensitivity, LegacyFreeBusyStatus, task
 * Status): ordered by that integer, not alphabetically.
 */
const RANKED: readonly (readonly string[])[] = [
  ["low", "normal", "high"],
  ["normal", "personal", "private", "confidential"],
  ["free", "tentative", "busy", "oof", "workingelsewhere", "nodata"],
  ["notstarted", "inprogress", "completed", "waitingonothers", "deferred"],
];

function compare(a: Scalar, b: Scalar): number {
  if (typeof a === "string" && typeof b === "string") {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    for (const ranks of RANKED) {
      const i = ranks.indexOf(x);
      const j = ranks.indexOf(y);
      if (i >= 0 && j >= 0) return i - j;
    }
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return compareOther(a, b);
}

function compareOther(a: Scalar, b: Scalar): number {
  if (typeof a === "boolean" || typeof b === "boolean") return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

const RELATIONS: Record<string, (order: number) => boolean> = {
  IsEqualTo: (o) => o === 0,
  IsNotEqualTo: (o) => o !== 0,
  IsGreaterThan: (o) => o > 0,
  IsGreaterThanOrEqualTo: (o) => o >= 0,
  IsLessThan: (o) => o < 0,
  IsLessThanOrEqualTo: (o) => o <= 0,
};

function stripNonSpacing(value: string): string {
  return value.normalize("NFD").replace(/\p{Mn}/gu, "");
}

/** How Contains compares: case and non-spacing characters (accents) matter or not. */
function normalizer(comparison: string): (s: string) => string {
  const loose = comparison.startsWith("Loose");
  const ignoreCase = loose || comparison.includes("IgnoreCase");
  const ignoreNonSpacing = loose || comparison.includes("NonSpac");
  return (s) => {
    let out = ignoreNonSpacing ? stripNonSpacing(s) : s;
    if (ignoreCase) out = out.toLowerCase();
    return out;
  };
}

const WORD = /[\p{L}\p{N}_]/u;

function atWordStart(hay: string, index: number): boolean {
  return index === 0 || !WORD.test(hay.charAt(index - 1));
}

function atWordEnd(hay: string, end: number): boolean {
  return end >= hay.length || !WORD.test(hay.charAt(end));
}

function occurrences(hay: string, needle: string): number[] {
  const out: number[] = [];
  if (needle === "") return [0];
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + 1)) out.push(i);
  return out;
}

const CONTAINMENT_MODES: Record<string, (hay: string, needle: string) => boolean> = {
  FullString: (h, n) => h === n,
  Prefixed: (h, n) => h.startsWith(n),
  Substring: (h, n) => h.includes(n),
  PrefixOnWords: (h, n) => occurrences(h, n).some((i) => atWordStart(h, i)),
  ExactPhrase: (h, n) => occurrences(h, n).some((i) => atWordStart(h, i) && atWordEnd(h, i + n.length)),
};

function containsPredicate<S>(part: XmlNode, resolve: PathResolver<S>): (s: S) => boolean {
  const get = pathGetter(part, resolve, "contains");
  const mode = attr(part, "ContainmentMode") ?? "Substring";
  const match = CONTAINMENT_MODES[mode];
  if (match === undefined)
    throw new EwsResponseError("ErrorInvalidRestriction", `ContainmentMode ${mode} is invalid.`);
  const norm = normalizer(attr(part, "ContainmentComparison") ?? "IgnoreCase");
  const needle = norm(attr(child(part, "Constant"), "Value") ?? "");
  return (s) => (get(s) ?? []).some((v) => match(norm(String(v)), needle));
}

function parseMask(raw: string | undefined): number {
  const value = (raw ?? "").trim().toLowerCase();
  const n = value.startsWith("0x") ? Number.parseInt(value.slice(2), 16) : Number(value);
  if (value === "" || !Number.isInteger(n))
    throw new EwsResponseError("ErrorInvalidExcludesRestriction", `Bitmask '${raw ?? ""}' is invalid.`);
  return n;
}

function relationPredicate<S>(name: string, part: XmlNode, resolve: PathResolver<S>): (s: S) => boolean {
  const relation = RELATIONS[name]!;
  const get = pathGetter(part, resolve);
  const operand = child(part, "FieldURIOrConstant");
  const constant = attr(child(operand ?? part, "Constant"), "Value");
  const other = constant === undefined ? pathGetter(operand, resolve) : undefined;
  return (s) => {
    const values = get(s) ?? [];
    if (values.length === 0) return name === "IsNotEqualTo";
    const rights: Scalar[] = other === undefined ? [constant ?? ""] : [...(other(s) ?? [])];
    if (rights.length === 0) return name === "IsNotEqualTo";
    // Multi-valued: IsNotEqualTo holds when no value equals; the others when any value matches.
    if (name === "IsNotEqualTo")
      return !values.some((v) =>
        rights.some((r) => compare(v, typeof r === "string" ? coerce(r, v) : r) === 0),
      );
    return values.some((v) =>
      rights.some((r) => relation(compare(v, typeof r === "string" ? coerce(r, v) : r))),
    );
  };
}

/**
 * Compiles the children of a t:Restriction (or of And/Or/Not) into one predicate; several
 * children are ANDed. MUST throw an EwsResponseError for an element or path it cannot evaluate.
 */
export function compileRestriction<S>(node: XmlNode, resolve: PathResolver<S>): (s: S) => boolean {
  const preds: ((s: S) => boolean)[] = [];
  for (const name of childNames(node)) {
    for (const part of children(node, name)) preds.push(compileOne(name, part, resolve));
  }
  return (s) => preds.every((p) => p(s));
}

function compileOne<S>(name: string, part: XmlNode, resolve: PathResolver<S>): (s: S) => boolean {
  switch (name) {
    case "And":
      return compileRestriction(part, resolve);
    case "Or": {
      const alts = childNames(part).flatMap((n) => children(part, n).map((c) => compileOne(n, c, resolve)));
      return (s) => alts.some((p) => p(s));
    }
    case "Not": {
      const inner = compileRestriction(part, resolve);
      return (s) => !inner(s);
    }
    case "Exists": {
      const get = pathGetter(part, resolve);
      return (s) => (get(s)?.length ?? 0) > 0;
    }
    case "Excludes": {
      const get = pathGetter(part, resolve);
      const mask = parseMask(attr(child(part, "Bitmask"), "Value"));
      return (s) => (get(s) ?? [0]).every((v) => (Number(v) & mask) === 0);
    }
    case "Contains":
      return containsPredicate(part, resolve);
    default:
      if (RELATIONS[name] !== undefined) return relationPredicate(name, part, resolve);
      throw new EwsResponseError("ErrorUnsupportedPathForQuery", `Restriction ${name} is not supported.`);
  }
}

/** Sorts by t:SortOrder's FieldOrders (missing values first when ascending); `tie` breaks ties. */
export function sortBy<S>(
  subjects: readonly S[],
  orders: readonly XmlNode[],
  resolve: PathResolver<S>,
  tie: (a: S, b: S) => number,
): S[] {
  if (orders.length === 0) return [...subjects];
  const keys = orders.map((f) => ({
    get: pathGetter(f, resolve, "sort"),
    desc: attr(f, "Order") === "Descending",
  }));
  const decorated = subjects.map((s) => ({ s, v: keys.map((k) => k.get(s)?.[0]) }));
  decorated.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const x = a.v[i];
      const y = b.v[i];
      const order = x === undefined ? (y === undefined ? 0 : -1) : y === undefined ? 1 : compare(x, y);
      if (order !== 0) return order * (keys[i]!.desc ? -1 : 1);
    }
    return tie(a.s, b.s);
  });
  return decorated.map((e) => e.s);
}
