// getMimeContent: one item's MIME through GetItem with IncludeMimeContent. The base64 is cut out
// of the raw response bytes and decoded by the transport, never held as a string.
import { callContext, callSingle, type OperationScope } from "../call.js";
import { ewsError } from "../errors.js";
import { getMimeContentRequest } from "../requests.js";
import { child, INVALID_PAYLOAD_ATTRIBUTE } from "../xml-parser.js";

export async function getMimeContent(
  scope: OperationScope,
  mailbox: string,
  itemId: string,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const context = callContext(scope.access(mailbox), signal, "MimeContent");
  const { message, result } = await callSingle(
    scope.transport,
    "GetItem",
    getMimeContentRequest(itemId),
    context,
  );
  const item = child(message.element, "Items")?.children[0];
  const mime = child(item, "MimeContent");
  // Not thrown by the transport (one bad payload is one bad item): never returned as empty MIME.
  if (mime?.attributes[INVALID_PAYLOAD_ATTRIBUTE] !== undefined)
    throw ewsError("EWS_MALFORMED_RESPONSE", "MimeContent is not base64");
  const marker = mime?.attributes.payload;
  if (marker === undefined) return new Uint8Array(0);
  const data = result.payloads[Number(marker)];
  if (data === undefined) throw ewsError("EWS_MALFORMED_RESPONSE", "MimeContent payload missing");
  return data;
}
