declare module "*.standalone.js" {
  const text: string;
  export default text;
}
// Statically imported WebAssembly modules (workerd compiles them at deploy time).
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
