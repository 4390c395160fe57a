/**
 * Command-line options of the `npm run` tools (search, finetune): `--name value`, `--name=value` and bare
 * flags, with a one-line message for each mistake (the tools print it and exit 2).
 */
export class UsageError extends Error {}

export interface OptionSpec {
  /** Options without a value. */
  flags: ReadonlySet<string>;
  /** Options that take a value. */
  valued: ReadonlySet<string>;
  /** Valued options that may be given more than once (every value is kept, in order). */
  repeatable?: ReadonlySet<string>;
}

/** Option name → its values (flags get ['']). */
export function parseArgs(argv: string[], spec: OptionSpec): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}' (options start with --; see --help)`);
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (spec.flags.has(name)) {
      if (value !== undefined) throw new UsageError(`--${name} takes no value`);
      out.set(name, ['']);
      continue;
    }
    if (!spec.valued.has(name)) throw new UsageError(`unknown option --${name} (see --help)`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
    }
    if (out.has(name) && !spec.repeatable?.has(name)) throw new UsageError(`--${name} given twice`);
    out.set(name, [...(out.get(name) ?? []), value]);
  }
  return out;
}
