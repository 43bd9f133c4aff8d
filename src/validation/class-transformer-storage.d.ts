/** class-transformer's metadata (`@Type`, `@Transform`), which its main entry does not export. */
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}

/** class-validator's metadata class, which its main entry does not export (custom conditions need it). */
declare module 'class-validator/cjs/metadata/ValidationMetadata' {
  export { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
}
