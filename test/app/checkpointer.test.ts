import { describe, expect, it } from 'vitest';
import { Checkpointer } from '../../src/app/checkpointer.js';

/** A save whose completion the test controls, recording what state it captured when it started. */
function controlledSave(state: { value: number }) {
  const saves: Array<{ captured: number; finish: () => void }> = [];
  const save = () =>
    new Promise<void>((resolve) => {
      saves.push({ captured: state.value, finish: resolve });
    });
  return { saves, save };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('checkpointer (group commit)', () => {
  it('resolves a commit only after a save that started after it', async () => {
    const state = { value: 1 };
    const { saves, save } = controlledSave(state);
    const cp = new Checkpointer(save, () => 0);
    const first = cp.commit();
    await tick();
    expect(saves).toHaveLength(1);
    state.value = 2;
    let secondDone = false;
    const second = cp.commit().then(() => {
      secondDone = true;
    });
    saves[0]!.finish();
    await first;
    await tick();
    expect(secondDone).toBe(false);
    expect(saves).toHaveLength(2);
    expect(saves[1]!.captured).toBe(2);
    saves[1]!.finish();
    await second;
  });

  it('lets every commit that arrives during a save share the next one', async () => {
    const state = { value: 0 };
    const { saves, save } = controlledSave(state);
    const cp = new Checkpointer(save, () => 0);
    const first = cp.commit();
    await tick();
    const waiting = [cp.commit(), cp.commit(), cp.commit()];
    saves[0]!.finish();
    await first;
    await tick();
    expect(saves).toHaveLength(2);
    saves[1]!.finish();
    await Promise.all(waiting);
    expect(saves).toHaveLength(2);
  });

  it('runs the next save even when the previous one failed', async () => {
    let calls = 0;
    const cp = new Checkpointer(async () => {
      calls++;
      if (calls === 1) throw new Error('disk full');
    });
    await expect(cp.commit()).rejects.toThrow('disk full');
    await expect(cp.commit()).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});
