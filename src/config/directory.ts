import type { ChatActor } from '../chat/chat-surface.js';
import { UnknownUserError } from '../errors.js';
import type { Config } from './load.js';
import type { RoleName } from './schema.js';

/** A person from `people`: several chat accounts, one identity for authorization and the two-person rule. */
export interface Person {
  readonly name: string;
  readonly displayName: string;
  readonly entra?: string;
  readonly slack?: string;
  readonly teams?: string;
}

/** Resolves chat accounts to people and answers role questions. Deny by default. */
export class Directory {
  private readonly byAccount = new Map<string, Person>();
  private readonly people = new Map<string, Person>();

  constructor(private readonly config: Pick<Config, 'people' | 'roles' | 'vaults'>) {
    for (const [name, p] of Object.entries(config.people)) {
      const person: Person = { name, displayName: p.displayName ?? name, ...p };
      this.people.set(name, person);
      if (p.slack) this.byAccount.set(`slack:${p.slack.toLowerCase()}`, person);
      if (p.teams) this.byAccount.set(`teams:${p.teams.toLowerCase()}`, person);
      // The console's user switcher selects people by name.
      this.byAccount.set(`console:${name.toLowerCase()}`, person);
    }
  }

  /** The person behind a chat account, or undefined when unmapped. */
  find(actor: ChatActor): Person | undefined {
    return this.byAccount.get(`${actor.surface}:${actor.userId.toLowerCase()}`);
  }

  /** The person behind a chat account; throws UnknownUserError when unmapped (fail closed). */
  resolve(actor: ChatActor): Person {
    const person = this.find(actor);
    if (!person) throw new UnknownUserError(actor.surface, actor.userId);
    return person;
  }

  byName(name: string): Person | undefined {
    return this.people.get(name);
  }

  all(): Person[] {
    return [...this.people.values()];
  }

  /** Whether the person holds the role, globally or for the given vault. */
  hasRole(person: Person, role: RoleName, vault?: string): boolean {
    if (this.config.roles[role].includes(person.name)) return true;
    if (vault) {
      const v = this.config.vaults[vault.toLowerCase()];
      if (v?.roles?.[role]?.includes(person.name)) return true;
    }
    return false;
  }

  /** Roles the person holds anywhere (for display). */
  rolesOf(person: Person): RoleName[] {
    const roles: RoleName[] = ['viewer', 'responder', 'requester', 'approver'];
    return roles.filter(
      (r) =>
        this.hasRole(person, r) ||
        Object.values(this.config.vaults).some((v) => v.roles?.[r]?.includes(person.name)),
    );
  }

  /** Two people are the same person when their names match (accounts are merged through `people`). */
  samePerson(a: Person, b: Person): boolean {
    return a.name === b.name;
  }
}
