import { renderCard } from '../chat/cards/render-card.js';
import type {
  ActionOutcome,
  AdaptiveCard,
  ChatActor,
  CommandReply,
  InboundAction,
} from '../chat/chat-surface.js';
import type { CommandRouter } from '../chat/command-router.js';
import type { Directory } from '../config/directory.js';
import { InvalidParameterError, NotAuthorisedError, UsageError } from '../errors.js';
import { chatRequest } from './chat-args.js';
import { QUERY_RUN_VERB } from './pivot-actions.js';
import type { PortalLinkOptions } from './portal-link.js';
import { queryCardData, queryResultText, resultTitle } from './query-card.js';
import type { QueryRequest, QueryService } from './query-service.js';
import { QUERY_NAMES } from './query-spec.js';
import { specFor } from './render.js';

export interface QueryCommandDeps {
  readonly service: QueryService;
  readonly directory: Directory;
  /** Enables the "Open in Log Analytics" button (Log Analytics mode with `queries.workspaceResourceId`). */
  readonly portal?: PortalLinkOptions;
  /** Card renderer (defaults to cards/ via renderCard). */
  readonly renderCard?: (templateName: string, data: Readonly<Record<string, unknown>>) => AdaptiveCard;
}

/**
 * Registers `/kv who|ips|failures|ops|changes|new-callers|caller` on the router and returns the handler
 * for `query.*` card actions (pivot buttons), to pass to `registerActions('query', …)`.
 * Only people with the `viewer` role (globally, or for the vault asked about) may query.
 */
export function registerQueryCommands(
  router: CommandRouter,
  deps: QueryCommandDeps,
): (actor: ChatActor, action: InboundAction) => Promise<ActionOutcome> {
  for (const name of QUERY_NAMES) {
    const spec = specFor(name)!;
    router.register({
      name,
      usage: spec.usage,
      summary: spec.summary,
      run: async (ctx) => runForChat(deps, ctx.actor, chatRequest(spec, ctx.args)),
    });
  }
  return (actor, action) => handleQueryAction(deps, actor, action);
}

async function runForChat(
  deps: QueryCommandDeps,
  actor: ChatActor,
  request: QueryRequest,
): Promise<CommandReply> {
  const run = await authorisedRun(deps, actor, request);
  const { result } = run;
  return {
    card: {
      card: resultCard(deps, run),
      text: `${resultTitle(result)}: ${result.rows.length} rows (${result.range.label})`,
    },
  };
}

/**
 * `query.run` from a pivot button: the result card goes privately to the person who clicked (`reply`),
 * with the plain-text rendering as its fallback; the alert card they clicked is left as it is.
 */
export async function handleQueryAction(
  deps: QueryCommandDeps,
  actor: ChatActor,
  action: InboundAction,
): Promise<ActionOutcome> {
  if (action.verb !== QUERY_RUN_VERB)
    throw new UsageError(`unknown query action ${action.verb.slice(0, 40)}`);
  const run = await authorisedRun(deps, actor, requestFromData(action.data));
  return { reply: { card: resultCard(deps, run), text: queryResultText(run.result) } };
}

function resultCard(deps: QueryCommandDeps, run: AuthorisedRun): AdaptiveCard {
  const { result, summary, totalColumn, lookbackMs } = run;
  const render = deps.renderCard ?? renderCard;
  return render(
    'query-result',
    queryCardData(result, {
      summary,
      ...(totalColumn ? { totalColumn } : {}),
      ...(deps.portal ? { portal: deps.portal } : {}),
      ...(lookbackMs ? { lookbackMs } : {}),
    }),
  );
}

/** Button data is inbound input: only known string fields pass, and QueryService validates their values. */
function requestFromData(data: Readonly<Record<string, unknown>>): QueryRequest {
  const field = (key: string): string | undefined => {
    const v = data[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new InvalidParameterError(key, 'is not text');
    return v;
  };
  const name = field('name');
  if (!name) throw new InvalidParameterError('name', 'is missing');
  const req: { name: string; vault?: string; caller?: string; ip?: string; since?: string } = { name };
  for (const key of ['vault', 'caller', 'ip', 'since'] as const) {
    const v = field(key);
    if (v !== undefined) req[key] = v;
  }
  return req;
}

type AuthorisedRun = Awaited<ReturnType<typeof authorisedRun>>;

async function authorisedRun(deps: QueryCommandDeps, actor: ChatActor, request: QueryRequest) {
  const person = deps.directory.resolve(actor);
  const prepared = deps.service.prepare(request);
  const vault = prepared.params.vault;
  if (!deps.directory.hasRole(person, 'viewer', vault))
    throw new NotAuthorisedError(
      person.name,
      'viewer',
      `run the ${prepared.spec.name} query ${vault ? `on ${vault}` : 'across all vaults'}`,
    );
  const result = await deps.service.runPrepared(prepared);
  return {
    result,
    summary: prepared.spec.summary,
    totalColumn: prepared.spec.totalColumn,
    lookbackMs: prepared.spec.lookbackMs,
  };
}
