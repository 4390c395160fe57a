/**
 * Fallback for repos that ship only the "slow" RoBERTa tokenizer files (vocab.json + merges.txt, e.g. some
 * cardiffnlp/twitter-roberta-* repos): build the equivalent Hugging Face tokenizers `tokenizer.json`
 * (byte-level BPE, RobertaProcessing), which is what `save_pretrained` of the fast tokenizer would write.
 */

const SPECIAL = ['<s>', '<pad>', '</s>', '<unk>', '<mask>'] as const;

export function robertaTokenizerJsonFromFiles(
  vocab: unknown,
  mergesTxt: string,
  opts: { addPrefixSpace?: boolean } = {},
): Record<string, unknown> {
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) throw new Error('vocab.json is not a JSON object of token → id.');
  const v = vocab as Record<string, number>;
  for (const t of ['<s>', '</s>', '<pad>'] as const)
    if (typeof v[t] !== 'number') throw new Error(`vocab.json has no ${t} token, so it is not a RoBERTa vocabulary.`);
  const merges = mergesTxt
    .split(/\r?\n/)
    .filter((l, i) => l.trim() !== '' && !(i === 0 && l.startsWith('#version')));
  merges.forEach((m, i) => {
    if (m.split(' ').length !== 2) throw new Error(`merges.txt line ${i + 2} ("${m.slice(0, 40)}") is not two tokens separated by a space.`);
  });
  const addPrefixSpace = opts.addPrefixSpace ?? false;
  const added_tokens = SPECIAL.filter((t) => typeof v[t] === 'number').map((t) => ({
    id: v[t],
    content: t,
    single_word: false,
    lstrip: t === '<mask>',
    rstrip: false,
    normalized: t !== '<mask>',
    special: true,
  }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', v['</s>']], cls: ['<s>', v['<s>']], trim_offsets: true, add_prefix_space: addPrefixSpace },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: v,
      merges,
    },
  };
}
