// wgsl_reflect's "main" entry is CommonJS inside a "type": "module" package, which Node cannot
// load; we import its ES module build directly and give it the package's own types.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
