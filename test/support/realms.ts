import vm from 'node:vm';

/**
 * A function node runs user code in a `vm` context: the objects and arrays it builds
 * have that context's `Object.prototype` and `Array.prototype`. These helpers rebuild a
 * value there, so tests can feed the node what a function node hands it.
 */
const context = vm.createContext({});
const OtherObject = vm.runInContext('Object', context) as ObjectConstructor;
const OtherArray = vm.runInContext('Array', context) as ArrayConstructor;

function isOwnPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === OtherObject.prototype;
}

/** The value with every plain object and array rebuilt in another realm; anything else kept as it is. */
export function inOtherRealm<T>(value: T, seen = new Map<object, unknown>()): T {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value) as T;
  if (Array.isArray(value)) {
    const copy = new OtherArray();
    seen.set(value, copy);
    for (let i = 0; i < value.length; i++) {
      if (i in value) copy[i] = inOtherRealm(value[i], seen);
      else copy.length = i + 1;
    }
    return copy as unknown as T;
  }
  if (!isOwnPlain(value)) return value;
  const copy = new OtherObject() as Record<string, unknown>;
  seen.set(value, copy);
  for (const key of Object.keys(value)) {
    Object.defineProperty(copy, key, { value: inOtherRealm((value as Record<string, unknown>)[key], seen), enumerable: true, writable: true, configurable: true });
  }
  return copy as T;
}

/** True when the value (or anything in it) was built in the other realm: a guard that the helper did its job. */
export function isFromOtherRealm(value: unknown): boolean {
  return value !== null && typeof value === 'object' && (Object.getPrototypeOf(value) === OtherObject.prototype || Object.getPrototypeOf(value) === OtherArray.prototype);
}
