/** One figure printed by `npm run bench`. Ratios are against a baseline measured in the same run. */
export interface BenchResult {
  readonly name: string;
  readonly metric: string;
  readonly value: number;
  readonly baseline?: number;
  readonly ratio?: number;
  readonly target?: string;
  readonly pass?: boolean;
  readonly note?: string;
}
