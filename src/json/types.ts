/**
 * A parsed JSON document as telegate holds it.
 *
 * Integers outside the IEEE-754 safe range are kept exactly as `bigint` (Coder's tailnet node ids are
 * random uint64 values); a non-integer that a double cannot hold exactly is refused at parse time.
 * Objects are created with a null prototype or as plain objects whose `__proto__` own key is data,
 * never a prototype link.
 */
export type JsonPrimitive = string | number | bigint | boolean | null;
export type JsonArray = JsonValue[];
export interface JsonObject { [key: string]: JsonValue }
export type JsonValue = JsonPrimitive | JsonArray | JsonObject;
