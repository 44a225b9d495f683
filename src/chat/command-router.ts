import { UsageError } from '../errors.js';
import type { ChatActor, CommandReply } from './chat-surface.js';

/**
 * The `/kv …` grammar shared by Slack, Teams (by @mention) and the console. Features register
 * subcommands; surfaces pass the raw text. Mentions (`<at>Bot</at>`, `<@U123>`) are stripped first.
 */
export interface CommandContext {
  readonly actor: ChatActor;
  /** Arguments after the subcommand, split on whitespace (quotes group words). */
  readonly args: readonly string[];
  /** The raw text after the subcommand (for free-text reasons). */
  readonly rest: string;
}

export interface SubcommandSpec {
  readonly name: string;
  /** One line for `help`, e.g. `who <vault> [since]`. */
  readonly usage: string;
  readonly summary: string;
  /** Whether an unmapped chat user may run it (only `help`). */
  readonly public?: boolean;
  run(ctx: CommandContext): Promise<CommandReply>;
}

export class CommandRouter {
  private readonly commands = new Map<string, SubcommandSpec>();

  register(spec: SubcommandSpec): this {
    if (this.commands.has(spec.name)) throw new Error(`subcommand ${spec.name} registered twice`);
    this.commands.set(spec.name, spec);
    return this;
  }

  list(): SubcommandSpec[] {
    return [...this.commands.values()];
  }

  get(name: string): SubcommandSpec | undefined {
    return this.commands.get(name);
  }

  /** Parses text into subcommand + args. Throws UsageError for an unknown subcommand. */
  parse(text: string): { spec: SubcommandSpec; args: string[]; rest: string } {
    const cleaned = stripMentions(text);
    const words = tokenize(cleaned);
    const [first, ...args] = words;
    const name = (first ?? 'help').toLowerCase();
    const spec = this.commands.get(name);
    if (!spec) throw new UsageError(`unknown command "${name}". Try \`/kv help\`.`);
    const rest = cleaned.slice(cleaned.toLowerCase().indexOf(name) + name.length).trim();
    return { spec, args, rest };
  }
}

/** Removes Teams `<at>…</at>` and Slack `<@U…>` mentions, a leading `/kv` or `kv`, and HTML entities. */
export function stripMentions(text: string): string {
  return text
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .replace(/<@[A-Z0-9]+(\|[^>]*)?>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\/?kv(\s+|$)/i, '')
    .trim();
}

/** Splits on whitespace; "double quotes" or 'single quotes' group words. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}
