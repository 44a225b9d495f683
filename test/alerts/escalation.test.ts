import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPagerDutySender, pagerDutyFromConfig } from '../../src/alerts/pagerduty.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError, UpstreamError } from '../../src/errors.js';
import { buildDetection } from './builders.js';
import { FakePagerDuty } from './fake-pagerduty.js';
import { ALICE, BOB, deliverAll, harness } from './harness.js';

const ROUTING_KEY = 'R0123456789abcdef0123456789abcde'; // 32 characters, as PagerDuty issues them

let pd: FakePagerDuty;
beforeEach(async () => {
  pd = await new FakePagerDuty().start();
});
afterEach(async () => {
  await pd.stop();
});

/** `escalationLine` goes inside the `escalation:` block (e.g. `autoEscalateAfter: 30m`). */
function escalationHarness(escalationLine = '') {
  const yaml = `
chat:
  default: { slack: C0SEC }
escalation:
  channel: { slack: C0ONCALL }
  mention: "<!subteam^S0ONCALL>"
  pagerduty: { routingKeyEnv: PD_ROUTING_KEY, apiUrl: "${pd.url}" }
  ${escalationLine}
`;
  const config = loadConfig({ env: { PD_ROUTING_KEY: ROUTING_KEY }, text: yaml });
  const pagerDuty = pagerDutyFromConfig(config, fetch);
  return harness({ yaml, env: { PD_ROUTING_KEY: ROUTING_KEY }, ...(pagerDuty && { pagerDuty }) });
}

describe('escalation', () => {
  it('posts the mention to the escalation channel and triggers PagerDuty with the evidence', async () => {
    const h = escalationHarness();
    const [r] = await h.service.record([buildDetection()]);
    const id = r?.alert.id ?? '';
    await h.service.act(ALICE, { verb: 'alert.escalate', data: { alertId: id } });
    await deliverAll(h.outbox, h.clock);
    expect(h.slack.texts).toHaveLength(1);
    expect(h.slack.texts[0]?.channel).toBe('C0ONCALL');
    expect(h.slack.texts[0]?.text).toMatch(
      /^<!subteam\^S0ONCALL> 🚨 Escalated by Alice: \[high\] destructive-operation on kv-prod-payments/,
    );
    // The console has no escalation channel: the mention goes where the alert card is.
    expect(h.console.texts).toEqual([expect.objectContaining({ channel: 'security' })]);
    expect(pd.rejected).toEqual([]);
    expect(pd.accepted).toHaveLength(1);
    expect(pd.accepted[0]).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: id,
      payload: {
        summary: '[destructive-operation] bob@contoso.com purged secret stripe-api-key',
        source: 'kv-prod-payments',
        severity: 'error',
        custom_details: {
          alertId: id,
          evidence: { operation: 'SecretPurge', object: 'stripe-api-key', status: 200 },
        },
      },
    });
  });

  it('acknowledges and resolves the PagerDuty incident as the alert is acknowledged and closed', async () => {
    const h = escalationHarness();
    const [r] = await h.service.record([buildDetection()]);
    const id = r?.alert.id ?? '';
    await h.service.act(ALICE, { verb: 'alert.escalate', data: { alertId: id } });
    await h.service.act(BOB, { verb: 'alert.ack', data: { alertId: id } });
    await h.service.act(BOB, {
      verb: 'alert.close',
      data: { alertId: id },
      inputs: { classification: 'true-positive', reason: 'revoked the key' },
    });
    await deliverAll(h.outbox, h.clock);
    expect(pd.accepted.map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', id],
      ['acknowledge', id],
      ['resolve', id],
    ]);
  });

  it('sends nothing to PagerDuty for alerts that were never escalated', async () => {
    const h = escalationHarness();
    const [r] = await h.service.record([buildDetection()]);
    const id = r?.alert.id ?? '';
    await h.service.act(ALICE, { verb: 'alert.ack', data: { alertId: id } });
    await h.service.act(ALICE, {
      verb: 'alert.close',
      data: { alertId: id },
      inputs: { classification: 'benign-positive', reason: 'ok' },
    });
    await deliverAll(h.outbox, h.clock);
    expect(pd.requests).toBe(0);
  });

  it('retries a throttled PagerDuty event after Retry-After and delivers it once', async () => {
    const h = escalationHarness();
    pd.throttle(2, 30);
    const [r] = await h.service.record([buildDetection()]);
    await h.service.act(ALICE, { verb: 'alert.escalate', data: { alertId: r?.alert.id } });
    await h.outbox.drain();
    expect(pd.requests).toBe(1);
    h.clock.advance(29_000);
    await h.outbox.drain();
    expect(pd.requests).toBe(1); // still waiting for Retry-After
    await deliverAll(h.outbox, h.clock);
    expect(pd.requests).toBe(3);
    expect(pd.accepted).toHaveLength(1);
  });

  it('never stores the routing key in the outbox', async () => {
    const h = escalationHarness();
    pd.throttle(1, 60);
    const [r] = await h.service.record([buildDetection()]);
    await h.service.act(ALICE, { verb: 'alert.escalate', data: { alertId: r?.alert.id } });
    await h.outbox.drain();
    expect(JSON.stringify(await h.store.list('outbox'))).not.toContain(ROUTING_KEY);
  });

  it('auto-escalates alerts left open past autoEscalateAfter, as the system', async () => {
    const h = escalationHarness('autoEscalateAfter: 30m');
    const service = h.service;
    const [stays] = await service.record([buildDetection({ principal: 'p-open' })]);
    const [acked] = await service.record([buildDetection({ principal: 'p-acked' })]);
    await service.act(ALICE, { verb: 'alert.ack', data: { alertId: acked?.alert.id } });
    expect(await service.sweep(h.clock.now() + 29 * 60_000)).toEqual([]);
    expect(await service.sweep(h.clock.now() + 30 * 60_000)).toEqual([stays?.alert.id]);
    expect(await service.sweep(h.clock.now() + 31 * 60_000)).toEqual([]); // once only
    const alert = await service.get(stays?.alert.id ?? '');
    expect(alert).toMatchObject({ state: 'open', escalated: true });
    expect(alert?.history.at(-1)).toMatchObject({ action: 'escalate', person: 'system' });
    expect((await h.store.listAudit(stays?.alert.id ?? '')).at(-1)).toMatchObject({
      action: 'escalate',
      actor: 'system',
    });
    await deliverAll(h.outbox, h.clock);
    expect(pd.accepted.map((e) => e.event_action)).toEqual(['trigger']);
  });

  it('fails at start, naming the key, when the routing key variable is not set', () => {
    const config = loadConfig({
      env: {},
      text: 'escalation:\n  pagerduty: { routingKeyEnv: PD_ROUTING_KEY }',
    });
    expect(() => pagerDutyFromConfig(config, fetch)).toThrow(ConfigError);
    expect(() => pagerDutyFromConfig(config, fetch)).toThrow(
      /escalation\.pagerduty\.routingKeyEnv.*PD_ROUTING_KEY/,
    );
  });
});

describe('PagerDuty sender', () => {
  it('treats a refused event (400) as not transient and names the status, never the key', async () => {
    const sender = createPagerDutySender({ apiUrl: pd.url, routingKey: 'short', fetch });
    const err = await sender.send({ event_action: 'resolve', dedup_key: 'A-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).transient).toBe(false);
    expect((err as Error).message).toMatch(/400/);
    expect((err as Error).message).not.toContain('short');
  });

  it('reports 429 as throttled with Retry-After in milliseconds', async () => {
    pd.throttle(1, 7);
    const sender = createPagerDutySender({ apiUrl: pd.url, routingKey: ROUTING_KEY, fetch });
    const err = (await sender
      .send({ event_action: 'resolve', dedup_key: 'A-1' })
      .catch((e: unknown) => e)) as UpstreamError;
    expect(err.code).toBe('KVW_THROTTLED');
    expect(err.retryAfterMs).toBe(7_000);
  });

  it('reports an unreachable endpoint as transient', async () => {
    const url = pd.url;
    await pd.stop();
    const sender = createPagerDutySender({ apiUrl: url, routingKey: ROUTING_KEY, fetch });
    const err = (await sender
      .send({ event_action: 'resolve', dedup_key: 'A-1' })
      .catch((e: unknown) => e)) as UpstreamError;
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.transient).toBe(true);
    pd = await new FakePagerDuty().start();
  });
});
