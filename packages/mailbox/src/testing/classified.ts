// Wraps a source or target so that every rejection it produces during a check is held to the
// error contract: an EwsVaultError whose code is an ErrorCode (or a TypeError for a programmer
// mistake). A check that provokes no error passes this trivially; one that does, and gets a
// bare Error or an undocumented code, fails even when its own assertions would not look.
import { isErrorCode } from "../error-codes.js";
import { EwsVaultError } from "../errors.js";

/** Why `error` breaks the error contract, or undefined when it keeps it. */
export function errorContractViolation(error: unknown): string | undefined {
  if (error instanceof TypeError) return undefined;
  if (error instanceof EwsVaultError)
    return isErrorCode(error.code) ? undefined : `undocumented code ${String(error.code)}`;
  return `not an EwsVaultError: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/** `object` with every method's failures checked; violations are pushed to `violations`. */
export function classified<T extends object>(object: T, violations: string[]): T {
  const record = (method: string, error: unknown): never => {
    const violation = errorContractViolation(error);
    if (violation !== undefined) violations.push(`${method}: ${violation}`);
    throw error;
  };
  return new Proxy(object, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const method = String(property);
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = value.apply(target, args);
        } catch (error) {
          return record(method, error);
        }
        if (result instanceof Promise) return result.catch((error: unknown) => record(method, error));
        if (isAsyncIterable(result)) {
          return (async function* () {
            try {
              yield* result;
            } catch (error) {
              record(method, error);
            }
          })();
        }
        return result;
      };
    },
  });
}
