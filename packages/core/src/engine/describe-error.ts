// The { code, message } that reports, events and warnings carry for an error: the stable code
// of an ewsvault error, ABORTED for a cancellation, a foreign error's own string code, else
// INTERNAL. Shared by backup and restore so both report the same error the same way.
import { isEwsVaultError } from "@ewsvault/mailbox";

export function describeError(error: unknown): { code: string; message: string } {
  if (isEwsVaultError(error)) return { code: error.code, message: error.message };
  if (error instanceof Error && error.name === "AbortError") return { code: "ABORTED", message: "cancelled" };
  if (error && typeof error === "object" && "code" in error && typeof error.code === "string") {
    return { code: error.code, message: error instanceof Error ? error.message : String(error) };
  }
  return { code: "INTERNAL", message: error instanceof Error ? error.message : String(error) };
}
