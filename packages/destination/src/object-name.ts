// Object names are relative, '/'-separated paths. Validating them in one place keeps every
// destination from having its own idea of what is safe (path traversal is the usual bug).

const SEGMENT = /^[A-Za-z0-9._@+=-]+$/;

/**
 * Throws TypeError unless `name` is a valid object name: 1-1024 characters, segments of
 * [A-Za-z0-9._@+=-] separated by single '/', no '.' or '..' segment, no leading or
 * trailing '/'.
 */
export function validateObjectName(name: string): void {
  if (typeof name !== "string" || name.length === 0 || name.length > 1024) {
    throw new TypeError(`invalid object name: ${JSON.stringify(name)}`);
  }
  for (const segment of name.split("/")) {
    if (segment === "" || segment === "." || segment === ".." || !SEGMENT.test(segment)) {
      throw new TypeError(`invalid object name: ${JSON.stringify(name)}`);
    }
  }
}

/** Like validateObjectName for list() prefixes: may be empty and may end with '/'. */
export function validateObjectPrefix(prefix: string): void {
  if (prefix === "") return;
  validateObjectName(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix);
}

/** validateObjectName as a predicate, for code that filters foreign names (e.g. files in a directory). */
export function isValidObjectName(name: string): boolean {
  try {
    validateObjectName(name);
    return true;
  } catch {
    return false;
  }
}
