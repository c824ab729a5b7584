// The one way an operation talks to the server: send the request through the transport, check
// that the answer carries the ResponseMessages it must (one, or one per object asked about), and
// classify each message of a batch into a result, a transient answer to ask again for, or a
// per-item error. Every operation module, bulk export and bulk upload go through here, so the
// count check, the request-level error rule and the per-item dispositions cannot drift apart.
import { EwsVaultError, type ItemError } from "@ewsvault/mailbox";
import type { EwsAuth } from "./auth.js";
import {
  errorCodeForResponseCode,
  ewsError,
  isMailboxFatalResponseCode,
  isTransientResponseCode,
  itemErrorFor,
} from "./errors.js";
import { type ResolvedRetryOptions, retryDelay, sleep } from "./retry.js";
import { isSuccess, type ResponseMessage, responseMessages } from "./soap.js";
import type { CallContext, CallResult } from "./transport-types.js";
import type { XmlFragment } from "./xml-writer.js";

/** What operations need of the transport (EwsTransport is the implementation). */
export interface OperationTransport {
  /**
   * Sends one operation, retrying transient failures and throttling. MUST resolve only with a
   * non-fault SOAP response and reject with an EwsVaultError (EWS_* code) otherwise.
   */
  call(operationName: string, body: XmlFragment, context: CallContext): Promise<CallResult>;
}

/** How the client reaches a mailbox. */
export interface MailboxAccess {
  readonly mailbox: string;
  /** ExchangeImpersonation header for this mailbox. */
  readonly impersonate: boolean;
  /** Delegate access to another user's mailbox: requests name it in DistinguishedFolderId. */
  readonly delegate: string | undefined;
}

/** What every operation needs of the client: the transport and the access rule per mailbox. */
export interface OperationScope {
  readonly transport: OperationTransport;
  access(mailbox: string): MailboxAccess;
}

export function requireMailbox(mailbox: string): void {
  if (typeof mailbox !== "string" || mailbox.trim() === "")
    throw new TypeError("mailbox must be a non-empty string");
}

/**
 * Impersonation unless the mailbox is the authenticated user's own (or the caller decided);
 * without impersonation another user's mailbox is reached by delegate access.
 */
export function mailboxAccess(
  auth: EwsAuth,
  impersonation: boolean | undefined,
  mailbox: string,
): MailboxAccess {
  // "DOMAIN\user" names no mailbox; a UPN usually is the user's own address.
  const user = auth.username;
  const own = user !== undefined && user.toLowerCase() === mailbox.toLowerCase();
  const impersonate = impersonation ?? !own;
  return { mailbox, impersonate, delegate: !impersonate && !own ? mailbox : undefined };
}

/** A transport context that names its mailbox (for X-AnchorMailbox and error details). */
export type MailboxCallContext = CallContext & { readonly mailbox: string };

/** The transport context of a request about `access`'s mailbox. */
export function callContext(
  access: MailboxAccess,
  signal?: AbortSignal,
  payloadElement?: string,
): MailboxCallContext {
  return { mailbox: access.mailbox, impersonate: access.impersonate, signal, payloadElement };
}

/** The error for a failed ResponseMessage that fails the whole call. */
export function messageError(
  message: ResponseMessage,
  operationName: string,
  mailbox: string,
): EwsVaultError {
  return ewsError(
    errorCodeForResponseCode(message.responseCode),
    `EWS ${operationName} failed for ${mailbox}: ${message.responseCode}${message.messageText ? ` (${message.messageText})` : ""}`,
    { details: { responseCode: message.responseCode, mailbox, operation: operationName } },
  );
}

/**
 * Sends a request about one object and resolves with its ResponseMessage, which MUST be a
 * success: a failed one rejects with its mapped code, a missing one with EWS_MALFORMED_RESPONSE.
 */
export async function callSingle(
  transport: OperationTransport,
  operationName: string,
  body: XmlFragment,
  context: MailboxCallContext,
): Promise<{ readonly message: ResponseMessage; readonly result: CallResult }> {
  const result = await transport.call(operationName, body, context);
  const message = responseMessages(result.soap.body)[0];
  if (message === undefined)
    throw ewsError("EWS_MALFORMED_RESPONSE", `${operationName} response has no message`);
  if (!isSuccess(message)) throw messageError(message, operationName, context.mailbox);
  return { message, result };
}

export interface EachOptions {
  /** Objects the request asks about: the answer MUST carry one message per object. */
  readonly count: number;
  /** What the objects are, for the error message. */
  readonly noun: "items" | "folders";
  /**
   * A single error message answering a request about several objects is a request-level error
   * (ErrorMailboxMoveInProgress, ErrorServerBusy, ...) that applies to every one of them.
   */
  readonly requestLevelErrors?: boolean;
}

/**
 * Sends a request about `count` objects and resolves with one ResponseMessage per object, in
 * request order; any other count rejects with EWS_MALFORMED_RESPONSE.
 */
export async function callEach(
  transport: OperationTransport,
  operationName: string,
  body: XmlFragment,
  context: CallContext,
  options: EachOptions,
): Promise<{ readonly messages: ResponseMessage[]; readonly result: CallResult }> {
  const result = await transport.call(operationName, body, context);
  let messages = responseMessages(result.soap.body);
  const { count } = options;
  const [only] = messages;
  if (options.requestLevelErrors === true && messages.length === 1 && count > 1 && only !== undefined) {
    if (!isSuccess(only)) messages = Array.from({ length: count }, () => only);
  }
  if (messages.length !== count) {
    throw ewsError(
      "EWS_MALFORMED_RESPONSE",
      `${operationName} answered ${messages.length} of ${count} ${options.noun}`,
    );
  }
  return { messages, result };
}

/** One object's answer in a round of a batch: its result, or a transient error to ask again. */
export type ItemAnswer<R> =
  | { readonly result: R }
  | { readonly transient: ItemError; readonly backOffMs: number | undefined };

/**
 * Classifies one ResponseMessage of a batch: a success becomes `onSuccess(message)`, a transient
 * code (ErrorServerBusy, ...) an answer to ask again for, any other failure `onError` of the
 * item's error (disposition skip, retry or fatal; see itemErrorFor).
 */
export function answerOf<R>(
  message: ResponseMessage,
  onSuccess: (message: ResponseMessage) => R,
  onError: (error: ItemError) => R,
): ItemAnswer<R> {
  if (isSuccess(message)) return { result: onSuccess(message) };
  const error = itemErrorFor(message.responseCode, message.messageText);
  if (isTransientResponseCode(message.responseCode))
    return { transient: error, backOffMs: message.backOffMs };
  return { result: onError(error) };
}

/** A batch request whose every object is answered on its own (ExportItems, UploadItems). */
export interface ItemsCall<T, R> {
  readonly operationName: string;
  readonly body: XmlFragment;
  readonly context: MailboxCallContext;
  /** The objects the request asks about, in request order. */
  readonly objects: readonly T[];
  /** The result of `object` whose message is a success. */
  readonly onSuccess: (message: ResponseMessage, object: T, result: CallResult) => R;
  /** The result of `object` that failed (not transiently). */
  readonly onError: (error: ItemError, object: T) => R;
}

/**
 * Sends a batch request and resolves with one answer per object, in request order: the count is
 * checked (a lone error message is a request-level error for every object, see callEach) and
 * every message classified (answerOf).
 */
export async function callItems<T, R>(
  transport: OperationTransport,
  call: ItemsCall<T, R>,
): Promise<{ readonly answers: ItemAnswer<R>[]; readonly result: CallResult }> {
  const { objects } = call;
  const { messages, result } = await callEach(
    transport,
    call.operationName,
    call.body,
    { ...call.context, items: objects.length },
    { count: objects.length, noun: "items", requestLevelErrors: true },
  );
  const answers = messages.map((message, index) => {
    const object = objects[index] as T;
    return answerOf(
      message,
      (success) => call.onSuccess(success, object, result),
      (error) => call.onError(error, object),
    );
  });
  return { answers, result };
}

/**
 * True for the server's refusal of a request as too large (SOAP fault or HTTP 413): a batch is
 * then split in halves, a single object reported with sizeExceededError.
 */
export function isSizeExceeded(error: unknown): error is EwsVaultError {
  return error instanceof EwsVaultError && error.code === "EWS_MESSAGE_SIZE_EXCEEDED";
}

/** The per-item error of an object too large to send or export even on its own. */
export function sizeExceededError(error: EwsVaultError): ItemError {
  return itemErrorFor("ErrorMessageSizeExceeded", error.message);
}

/** True for a failed message that is about the whole mailbox (it fails the call, not one object). */
export function isMailboxFatal(message: ResponseMessage): boolean {
  return !isSuccess(message) && isMailboxFatalResponseCode(message.responseCode);
}

/**
 * Settles a batch whose first round has been answered: objects that came back transient are
 * asked for again with `again` after a backoff (the largest BackOffMilliseconds of the round as
 * a floor), until none is or `retry.maxAttempts` rounds were sent; then `giveUp` gives their
 * result. Resolves with one result per object, in `objects` order.
 */
export async function settleTransient<T, R>(
  objects: readonly T[],
  first: readonly ItemAnswer<R>[],
  again: (objects: T[]) => Promise<ItemAnswer<R>[]>,
  giveUp: (object: T, last: ItemError) => R,
  retry: ResolvedRetryOptions,
  signal?: AbortSignal,
): Promise<R[]> {
  const results: R[] = new Array(objects.length);
  let indices = objects.map((_, index) => index);
  let answers = first;
  for (let attempt = 1; ; attempt++) {
    const pending: number[] = [];
    let hint = 0;
    answers.forEach((answer, k) => {
      const index = indices[k] as number;
      if ("result" in answer) results[index] = answer.result;
      else if (attempt >= retry.maxAttempts) results[index] = giveUp(objects[index] as T, answer.transient);
      else {
        pending.push(index);
        hint = Math.max(hint, answer.backOffMs ?? 0);
      }
    });
    if (pending.length === 0) return results;
    await sleep(retryDelay(retry, attempt, hint || undefined), signal);
    indices = pending;
    answers = await again(pending.map((index) => objects[index] as T));
  }
}
