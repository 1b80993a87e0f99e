/** Parsing the CloudEvents Verity's event functions receive: storage finalize (direct or via Pub/Sub), Pub/Sub messages. */
import { z } from 'zod';

export const STORAGE_FINALIZED = 'google.cloud.storage.object.v1.finalized';
export const PUBSUB_PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';

export interface IncomingEvent {
  type: string;
  id?: string;
  data?: unknown;
}

const PubsubData = z.object({
  message: z.object({
    data: z.string().optional(),
    attributes: z.record(z.string(), z.string()).optional(),
    messageId: z.string().optional(),
    message_id: z.string().optional(),
    publishTime: z.string().optional(),
  }),
  subscription: z.string().optional(),
});

export interface PubsubMessage {
  messageId: string;
  attributes: Record<string, string>;
  /** The decoded payload (UTF-8), '' when none. */
  text: string;
}

/** A Pub/Sub message out of a messagePublished CloudEvent, or a reason it is not one. */
export function parsePubsubEvent(ce: IncomingEvent): PubsubMessage | { invalid: string } {
  if (ce.type !== PUBSUB_PUBLISHED) return { invalid: `unexpected event type ${ce.type}` };
  const parsed = PubsubData.safeParse(ce.data);
  if (!parsed.success) return { invalid: 'not a Pub/Sub message' };
  const m = parsed.data.message;
  const messageId = m.messageId ?? m.message_id ?? ce.id;
  if (!messageId) return { invalid: 'message without an id' };
  return {
    messageId,
    attributes: m.attributes ?? {},
    text: m.data ? Buffer.from(m.data, 'base64').toString('utf8') : '',
  };
}

const StorageObject = z.object({
  bucket: z.string().min(3),
  name: z.string().min(1).max(1024),
  generation: z.union([z.string().regex(/^\d+$/), z.number().int()]).transform(String),
  size: z
    .union([z.string(), z.number()])
    .optional()
    .transform((v) => (v === undefined ? null : Number(v))),
  timeCreated: z.string().optional(),
});

export interface FinalizedObject {
  bucket: string;
  name: string;
  generation: string;
  size: number | null;
  timeCreated: number | null;
}

/**
 * The object of a finalize event: an Eventarc storage event, or a bucket notification (JSON_API_V1) delivered
 * through Pub/Sub. `ignored` for other events (deletes, metadata updates), `invalid` for malformed ones.
 */
export function parseFinalizeEvent(
  ce: IncomingEvent,
): { object: FinalizedObject } | { ignored: string } | { invalid: string } {
  let raw: unknown;
  if (ce.type === STORAGE_FINALIZED) {
    raw = ce.data;
  } else if (ce.type === PUBSUB_PUBLISHED) {
    const msg = parsePubsubEvent(ce);
    if ('invalid' in msg) return msg;
    const eventType = msg.attributes.eventType;
    if (eventType !== 'OBJECT_FINALIZE') return { ignored: `bucket notification ${eventType ?? '(no eventType)'}` };
    try {
      raw = msg.text ? JSON.parse(msg.text) : {};
    } catch {
      return { invalid: 'notification payload is not JSON' };
    }
    const a = msg.attributes;
    raw = { bucket: a.bucketId, name: a.objectId, generation: a.objectGeneration, ...(raw as object) };
  } else {
    return { ignored: `event type ${ce.type}` };
  }
  const parsed = StorageObject.safeParse(raw);
  if (!parsed.success)
    return { invalid: `not a storage object: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}` };
  const o = parsed.data;
  const t = o.timeCreated ? Date.parse(o.timeCreated) : NaN;
  return {
    object: {
      bucket: o.bucket,
      name: o.name,
      generation: o.generation,
      size: o.size,
      timeCreated: Number.isNaN(t) ? null : t,
    },
  };
}
