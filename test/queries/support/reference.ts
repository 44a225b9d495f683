/**
 * A plain in-memory evaluation of every canned query, written from the query definitions' documented
 * meaning (not from the SQL), to compare the DuckDB answers against.
 */
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import type { QueryName } from '../../../src/queries/query-spec.js';

type Row = Record<string, string | number>;

interface Ev {
  t: number;
  vault: string;
  op: string;
  status: number;
  principal: string;
  oid: string;
  upn: string;
  app: string;
  ip: string;
  uri: string;
  nda: string;
  addIp: string;
  remIp: string;
  addPol: string;
  remPol: string;
}

export interface RefParams {
  vault?: string;
  caller?: string;
  ip?: string;
  startMs: number;
  endMs: number;
  limit: number;
}

const lo = (s: string | undefined) => (s ?? '').toLowerCase();
function toEv(e: AuditEvent): Ev {
  return {
    t: e.timeMs,
    vault: lo(e.vault),
    op: e.operation,
    status: e.status ?? 0,
    principal: lo(e.principal),
    oid: lo(e.identity.objectId),
    upn: lo(e.identity.upn),
    app: lo(e.identity.appId),
    ip: lo(e.ip),
    uri: e.requestUri ?? '',
    nda: e.networkAcls?.defaultAction ?? '',
    addIp: e.addedIpRule ?? '',
    remIp: e.removedIpRule ?? '',
    addPol: lo(e.addedAccessPolicy?.objectId),
    remPol: lo(e.removedAccessPolicy?.objectId),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
const ok = (e: Ev) => e.status >= 200 && e.status <= 299;
const failed = (e: Ev) => e.status >= 400;
const set20 = (vals: string[]) =>
  [...new Set(vals.filter((v) => v !== ''))].sort(cmp).slice(0, 20).join(', ');
const maxStr = (vals: string[]) => [...vals].sort(cmp).at(-1) ?? '';
function cmp(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function groupBy<K extends string>(events: Ev[], key: (e: Ev) => K): Map<K, Ev[]> {
  const m = new Map<K, Ev[]>();
  for (const e of events) {
    const k = key(e);
    const list = m.get(k);
    if (list) list.push(e);
    else m.set(k, [e]);
  }
  return m;
}

type Order = [string, 'asc' | 'desc'][];
function sortRows(rows: Row[], order: Order): Row[] {
  return rows.sort((a, b) => {
    for (const [col, dir] of order) {
      const c = cmp(a[col]!, b[col]!);
      if (c !== 0) return dir === 'asc' ? c : -c;
    }
    return 0;
  });
}

export function evaluate(name: QueryName, all: readonly AuditEvent[], p: RefParams): Row[] {
  const events = all.map(toEv);
  const inEntity = (e: Ev) =>
    (!p.vault || e.vault === p.vault) &&
    (!p.ip || e.ip === p.ip) &&
    (!p.caller || e.oid === p.caller || e.app === p.caller || e.upn === p.caller);
  const within = (from: number) => events.filter((e) => e.t >= from && e.t < p.endMs && inEntity(e));
  const period = within(p.startMs);
  const minT = (es: Ev[]) => Math.min(...es.map((e) => e.t));
  const maxT = (es: Ev[]) => Math.max(...es.map((e) => e.t));
  let rows: Row[];
  let order: Order;
  switch (name) {
    case 'who':
      rows = [...groupBy(period, (e) => e.principal)].map(([principal, es]) => ({
        Principal: principal,
        Upn: maxStr(es.map((e) => e.upn)),
        AppId: maxStr(es.map((e) => e.app)),
        Operations: es.length,
        Succeeded: es.filter(ok).length,
        Failed: es.filter(failed).length,
        Ips: set20(es.map((e) => e.ip)),
        FirstSeen: iso(minT(es)),
        LastSeen: iso(maxT(es)),
      }));
      order = [
        ['Operations', 'desc'],
        ['Principal', 'asc'],
      ];
      break;
    case 'ips':
      rows = [...groupBy(period, (e) => e.ip)].map(([ip, es]) => ({
        CallerIp: ip,
        Requests: es.length,
        Succeeded: es.filter(ok).length,
        Failed: es.filter(failed).length,
        PrincipalCount: new Set(es.map((e) => e.principal)).size,
        Principals: set20(es.map((e) => e.principal)),
        FirstSeen: iso(minT(es)),
        LastSeen: iso(maxT(es)),
      }));
      order = [
        ['Requests', 'desc'],
        ['CallerIp', 'asc'],
      ];
      break;
    case 'failures': {
      const fails = period.filter((e) => e.status >= 400 && !(e.op === 'Authentication' && e.status === 401));
      rows = [...groupBy(fails, (e) => JSON.stringify([e.op, e.status, e.uri.split('?')[0]]))].map(
        ([k, es]) => {
          const [op, status, uri] = JSON.parse(k) as [string, number, string];
          return {
            OperationName: op,
            Status: status,
            RequestUri: uri,
            Count: es.length,
            Principals: set20(es.map((e) => e.principal)),
            LastSeen: iso(maxT(es)),
          };
        },
      );
      order = [
        ['Count', 'desc'],
        ['OperationName', 'asc'],
        ['Status', 'asc'],
        ['RequestUri', 'asc'],
      ];
      break;
    }
    case 'ops':
      rows = [...groupBy(period, (e) => JSON.stringify([e.op, e.status]))].map(([k, es]) => {
        const [op, status] = JSON.parse(k) as [string, number];
        const outcome = status >= 200 && status <= 299 ? 'success' : status >= 400 ? 'failure' : 'other';
        return { OperationName: op, Status: status, Outcome: outcome, Count: es.length };
      });
      order = [
        ['Count', 'desc'],
        ['OperationName', 'asc'],
        ['Status', 'asc'],
      ];
      break;
    case 'changes':
      rows = period
        .filter((e) => e.op === 'VaultPut' || e.op === 'VaultPatch')
        .map((e) => ({
          TimeGenerated: iso(e.t),
          Vault: e.vault,
          Principal: e.principal,
          Upn: e.upn,
          OperationName: e.op,
          Status: e.status,
          CallerIp: e.ip,
          NetworkDefaultAction: e.nda,
          AddedIpRule: e.addIp,
          RemovedIpRule: e.remIp,
          AddedAccessPolicy: e.addPol,
          RemovedAccessPolicy: e.remPol,
        }));
      order = [
        ['TimeGenerated', 'desc'],
        ['Principal', 'asc'],
        ['OperationName', 'asc'],
      ];
      break;
    case 'new-callers': {
      const span = within(p.startMs - 30 * 86_400_000);
      rows = [...groupBy(span, (e) => e.principal)]
        .filter(([, es]) => minT(es) >= p.startMs)
        .map(([principal, es]) => ({
          Principal: principal,
          Upn: maxStr(es.map((e) => e.upn)),
          AppId: maxStr(es.map((e) => e.app)),
          Operations: es.length,
          Ips: set20(es.map((e) => e.ip)),
          FirstSeen: iso(minT(es)),
          LastSeen: iso(maxT(es)),
        }));
      order = [
        ['FirstSeen', 'desc'],
        ['Principal', 'asc'],
      ];
      break;
    }
    case 'caller':
      rows = [...groupBy(period, (e) => JSON.stringify([e.vault, e.op, e.status]))].map(([k, es]) => {
        const [vault, op, status] = JSON.parse(k) as [string, string, number];
        return {
          Vault: vault,
          OperationName: op,
          Status: status,
          Count: es.length,
          Ips: set20(es.map((e) => e.ip)),
          FirstSeen: iso(minT(es)),
          LastSeen: iso(maxT(es)),
        };
      });
      order = [
        ['LastSeen', 'desc'],
        ['Vault', 'asc'],
        ['OperationName', 'asc'],
        ['Status', 'asc'],
      ];
      break;
  }
  return sortRows(rows, order).slice(0, p.limit);
}
