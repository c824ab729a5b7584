// Reads the header of a zstd frame (RFC 8878, 3.1.1) far enough to learn the content size it
// claims, so decompressBlob can refuse a frame that announces more than the blob may hold
// before the decoder allocates anything for it.

const ZSTD_MAGIC = 0xfd2fb528;

/** What a frame header says; `contentSize` is undefined when the frame leaves it out. */
export interface ZstdFrameHeader {
  readonly contentSize: number | undefined;
}

/**
 * Parses the frame header at the start of `frame`. Returns undefined when the bytes do not
 * start with a complete zstd frame header (wrong magic, skippable frame, truncated, reserved
 * bit set); callers treat that as corrupt. A content size above 2^53 is returned as Infinity.
 */
export function readZstdFrameHeader(frame: Uint8Array): ZstdFrameHeader | undefined {
  if (frame.length < 5) return undefined;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (view.getUint32(0, true) !== ZSTD_MAGIC) return undefined;
  const descriptor = frame[4] as number;
  if ((descriptor & 0x08) !== 0) return undefined; // reserved bit
  const sizeFlag = descriptor >>> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  const dictIdBytes = [0, 1, 2, 4][descriptor & 0x03] as number;
  const sizeBytes = sizeFlag === 0 ? (singleSegment ? 1 : 0) : 1 << sizeFlag;
  const at = 5 + (singleSegment ? 0 : 1) + dictIdBytes;
  if (at + sizeBytes > frame.length) return undefined;
  switch (sizeBytes) {
    case 0:
      return { contentSize: undefined };
    case 1:
      return { contentSize: view.getUint8(at) };
    case 2:
      return { contentSize: view.getUint16(at, true) + 256 };
    case 4:
      return { contentSize: view.getUint32(at, true) };
    default: {
      const size = view.getBigUint64(at, true);
      return {
        contentSize: size > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(size),
      };
    }
  }
}
