import type { RotationPlan } from './rotation-plan.js';

/** Store collection of rotation documents. */
export const ROTATIONS = 'rotations';

export type RotationState =
  | 'pending'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'regenerating'
  | 'writing-secret'
  | 'verifying'
  | 'done'
  | 'failed';

export type ExecutionStep = 'approved' | 'regenerating' | 'writing-secret' | 'verifying';

export const TERMINAL_STATES: readonly RotationState[] = ['denied', 'expired', 'done', 'failed'];
export const EXECUTING_STATES: readonly RotationState[] = [
  'approved',
  'regenerating',
  'writing-secret',
  'verifying',
];

export interface Decision {
  /** Person name from `people`. */
  readonly person: string;
  /** Chat account, e.g. `slack:U01CAROL`. */
  readonly via: string;
  readonly at: string;
  /** The plan hash the person saw on the card. */
  readonly planHash: string;
  readonly reason?: string;
}

export interface HistoryLine {
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly detail?: string;
}

/** Execution facts. Never holds key or secret values, nor hashes of them. */
export interface Execution {
  readonly startedAt?: string;
  /** Creation time of the alternate key before regeneration: a different one afterwards proves it happened. */
  readonly keyCreationTimeBefore?: string;
  readonly regeneratedAt?: string;
  readonly newKeyCreationTime?: string;
  readonly newVersion?: string;
  readonly newExpiresOn?: string;
  readonly secretWrittenAt?: string;
  readonly verifiedAt?: string;
  readonly finishedAt?: string;
  readonly failedStep?: ExecutionStep;
  readonly error?: string;
  /** Incremented by whoever (re)starts the execution: a CAS on it makes one executor win. */
  readonly attempt: number;
}

/** The `rotations` document: the plan, the decisions, the execution. The card is rendered from it. */
export interface RotationRecord {
  readonly id: string;
  readonly plan: RotationPlan;
  readonly planHash: string;
  readonly state: RotationState;
  readonly approvalsRequired: number;
  readonly approvals: readonly Decision[];
  readonly denial?: Decision;
  readonly execution: Execution;
  readonly history: readonly HistoryLine[];
  readonly updatedAt: string;
  /** 1 on creation, +1 on every stored change (set by the repo): the card version for the outbox. */
  readonly revision?: number;
}

export function isTerminal(state: RotationState): boolean {
  return TERMINAL_STATES.includes(state);
}
