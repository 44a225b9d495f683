import type {
  ActionOutcome,
  AdaptiveCard,
  CardMessage,
  ChatActor,
  ChatHandler,
  CommandReply,
  InboundAction,
} from '../../src/chat/chat-surface.js';
import { CommandRouter } from '../../src/chat/command-router.js';
import { Directory } from '../../src/config/directory.js';
import { readEnv } from '../../src/config/env.js';
import { parseConfig } from '../../src/config/load.js';
import { NotAuthorisedError, UnknownUserError, userMessageFor } from '../../src/errors.js';

/**
 * A small ChatHandler for surface tests: one alert, Acknowledge needs the responder role, an
 * unmapped account is refused (fail closed), `help` is the only public command. It stands in for
 * the app's handler so the surface tests exercise real identity rules over real sockets.
 */
export const TEST_CONFIG = parseConfig(
  {
    people: {
      alice: { slack: 'U01ALICE', teams: 'aaaaaaaa-0000-0000-0000-000000000001', displayName: 'Alice' },
      mallory: { slack: 'U01MALLORY', teams: 'aaaaaaaa-0000-0000-0000-000000000002' },
    },
    roles: { viewer: ['alice', 'mallory'], responder: ['alice'] },
  },
  readEnv({}),
);

interface Alert {
  id: string;
  state: 'open' | 'acknowledged';
  by?: string;
}

export class TriageHandler implements ChatHandler {
  readonly directory = new Directory(TEST_CONFIG);
  readonly alerts = new Map<string, Alert>([['a1', { id: 'a1', state: 'open' }]]);
  readonly router = new CommandRouter();
  commandCalls = 0;
  actionCalls = 0;
  /** When set, commands wait for it (a slow query). */
  commandGate?: Promise<void>;

  constructor() {
    this.router.register({
      name: 'help',
      usage: 'help',
      summary: 'this help',
      public: true,
      run: async () => ({ text: 'kv-warden commands: help, alerts', ephemeral: true }),
    });
    this.router.register({
      name: 'alerts',
      usage: 'alerts',
      summary: 'open alerts',
      run: async () => ({ card: this.card('a1') }),
    });
  }

  card(id: string): CardMessage {
    const alert = this.alerts.get(id);
    if (!alert) throw new Error(`no alert ${id}`);
    const card: AdaptiveCard = {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [
        { type: 'TextBlock', text: 'Destructive operation on kv-prod', size: 'Large' },
        {
          type: 'FactSet',
          facts: [
            { title: 'State', value: alert.state },
            ...(alert.by ? [{ title: 'By', value: alert.by }] : []),
          ],
        },
      ],
      actions:
        alert.state === 'open'
          ? [
              {
                type: 'Action.Execute',
                title: 'Acknowledge',
                verb: 'alert.acknowledge',
                data: { alertId: id },
              },
            ]
          : [],
    };
    return { card, text: `Alert ${id}: ${alert.state}` };
  }

  async handleAction(actor: ChatActor, action: InboundAction): Promise<ActionOutcome> {
    this.actionCalls++;
    const person = this.directory.find(actor);
    if (!person) return { notice: userMessageFor(new UnknownUserError(actor.surface, actor.userId)) };
    const id = String(action.data.alertId);
    if (!this.directory.hasRole(person, 'responder')) {
      return {
        notice: userMessageFor(new NotAuthorisedError(person.name, 'responder', 'acknowledge this alert')),
      };
    }
    const alert = this.alerts.get(id);
    if (!alert) return { notice: 'No such alert.' };
    if (action.verb !== 'alert.acknowledge') return { notice: `Unknown action ${action.verb}.` };
    if (alert.state !== 'open') return { card: this.card(id), notice: 'Already acknowledged.' };
    alert.state = 'acknowledged';
    alert.by = person.displayName;
    return { card: this.card(id) };
  }

  async handleCommand(actor: ChatActor, text: string): Promise<CommandReply> {
    this.commandCalls++;
    if (this.commandGate) await this.commandGate;
    const { spec, args, rest } = this.router.parse(text);
    if (!spec.public && !this.directory.find(actor)) throw new UnknownUserError(actor.surface, actor.userId);
    return spec.run({ actor, args, rest });
  }
}

/** Polls until `check` holds (async work after an ack), failing after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
