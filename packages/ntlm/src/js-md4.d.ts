// js-md4 ships no types; only the pure-JavaScript entry points used here are declared (the
// package's plain md4(x) call goes through node:crypto's "md4", which OpenSSL 3 no longer has).
declare module "js-md4" {
  interface Md4 {
    arrayBuffer(message: Uint8Array | ArrayBuffer): ArrayBuffer;
  }
  const md4: Md4;
  export default md4;
}
