// The deep import of transformers.js's tokenizer module carries no types of its own; reuse the package's.
declare module '@xenova/transformers/src/tokenizers.js' {
  export * from '@xenova/transformers/types/tokenizers';
}
