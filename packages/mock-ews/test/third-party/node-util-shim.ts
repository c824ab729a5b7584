// ews-javascript-api 0.15 (unmodified, as a third-party client must be) calls
// require("util").isNullOrUndefined when it writes an ExtendedFieldURI. Node.js deprecated that
// function in 4 and removed it in 23, so on Node 24 and 26 the library throws a TypeError before
// it sends anything. This restores the old function (same semantics) in the test process only:
// the library itself and what it sends stay unchanged. Import it before the library.
import util from "node:util";

const legacy = util as unknown as { isNullOrUndefined?: (value: unknown) => boolean };
legacy.isNullOrUndefined ??= (value) => value === null || value === undefined;
