// Binds the operations to the item codecs (export stream and MIME).
import { decodeExportStream, encodeExportStream, itemToMime, mimeToItem } from "../codec/index.js";
import type { Codecs } from "../operations/index.js";

export const codecs: Codecs = {
  encodeExport: (data, searchKey) => encodeExportStream(data, { searchKey }),
  decodeExport: (bytes) => {
    const decoded = decodeExportStream(bytes);
    return { data: decoded.item, searchKey: decoded.searchKey };
  },
  toMime: (data) => itemToMime(data),
  fromMime: (mime) => mimeToItem(mime),
};
