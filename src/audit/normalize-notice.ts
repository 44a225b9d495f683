/**
 * A Key Vault Event Grid event (EventGrid or CloudEvents schema, PascalCase or camelCase `data`,
 * NBF/EXP as epoch seconds in a number or a string, or null) as a VaultNotice.
 */
import type { VaultNotice } from './audit-event.js';
import { isObject, optNumber, optObject, optString, parseIsoTime, prop } from './field-values.js';
import { MalformedRecordError } from './malformed-record-error.js';
import { vaultFromResourceId, vaultFromUri } from './object-path.js';

const PREFIX = 'microsoft.keyvault.';

/** True when the object looks like an EventGrid-schema event. */
export function isEventGridEvent(o: Record<string, unknown>): boolean {
  return (
    typeof o.eventType === 'string' &&
    o.data !== undefined &&
    (o.topic !== undefined || o.eventTime !== undefined)
  );
}

/** True when the object looks like a CloudEvents 1.0 event. */
export function isCloudEvent(o: Record<string, unknown>): boolean {
  return typeof o.specversion === 'string' && typeof o.type === 'string' && o.source !== undefined;
}

function epochToIso(v: unknown, field: string): string | undefined {
  const n = optNumber(v, field);
  if (n === undefined) return undefined;
  const d = new Date(n * 1000);
  if (Number.isNaN(d.getTime())) throw new MalformedRecordError(`${field} is out of range`);
  return d.toISOString();
}

/** Normalize one Event Grid / CloudEvents Key Vault event; throws MalformedRecordError otherwise. */
export function normalizeNotice(obj: unknown): VaultNotice {
  if (!isObject(obj)) throw new MalformedRecordError('event is not a JSON object');
  const cloud = isCloudEvent(obj);
  if (!cloud && !isEventGridEvent(obj))
    throw new MalformedRecordError('not an Event Grid or CloudEvents event');
  const fullType = optString(cloud ? obj.type : obj.eventType, cloud ? 'type' : 'eventType') ?? '';
  if (!fullType.toLowerCase().startsWith(PREFIX)) {
    throw new MalformedRecordError(`not a Key Vault event: ${fullType.slice(0, 80)}`);
  }
  const id = optString(obj.id, 'id');
  if (id === undefined) throw new MalformedRecordError('missing event id');
  const timeField = cloud ? 'time' : 'eventTime';
  const timeMs = parseIsoTime(cloud ? obj.time : obj.eventTime, timeField);
  const data = optObject(obj.data, 'data') ?? {};
  const resourceId = optString(cloud ? obj.source : obj.topic, cloud ? 'source' : 'topic');
  const objectUri = optString(prop(data, 'Id'), 'data.Id');
  const vault =
    optString(prop(data, 'VaultName'), 'data.VaultName')?.toLowerCase() ??
    (resourceId !== undefined ? vaultFromResourceId(resourceId) : undefined) ??
    (objectUri !== undefined ? vaultFromUri(objectUri) : undefined);
  if (vault === undefined) throw new MalformedRecordError('no vault identifiable in event');
  return {
    id,
    type: fullType.slice(PREFIX.length),
    time: new Date(timeMs).toISOString(),
    timeMs,
    vault,
    resourceId: resourceId?.toLowerCase(),
    objectType: optString(prop(data, 'ObjectType'), 'data.ObjectType'),
    objectName: optString(prop(data, 'ObjectName'), 'data.ObjectName') ?? optString(obj.subject, 'subject'),
    version: optString(prop(data, 'Version'), 'data.Version'),
    objectId: objectUri,
    notBefore: epochToIso(prop(data, 'NBF'), 'data.NBF'),
    expires: epochToIso(prop(data, 'EXP'), 'data.EXP'),
    schema: cloud ? 'cloudevents' : 'eventgrid',
  };
}
