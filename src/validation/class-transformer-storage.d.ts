/** class-transformer's metadata (`@Type`, `@Transform`), which its main entry does not export. */
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
