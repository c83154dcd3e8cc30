/**
 * The compiled CLI's way of loading the Temporal API descriptor (tools/cli-proto-plugin.ts puts a
 * call to it where @temporalio/proto calls Root.addJSON). Root.addJSON builds a reflection object
 * for each of the ~3,000 fields of ~650 messages, and the first encode then resolves every field's
 * features: together the largest CPU cost of a `tourniquet status` call after Node's own start-up,
 * for the handful of messages a command sends and reads. Here every namespace, enum, service and
 * message type is created as addJSON creates it, so every lookup finds what it found before, but a
 * message's fields and oneofs are added (and their features resolved) the first time anything reads
 * them. Measured with --cpu-prof: building the root and the first encode went from ~80 to ~30 ms of
 * CPU on the project's loaded 2-core machine. test/cli-proto.test.ts checks that the result is the
 * same root as addJSON's, field by field.
 */
import protobuf from 'protobufjs/light';

interface Descriptor {
  options?: Record<string, unknown>;
  nested?: Record<string, Descriptor>;
  fields?: Record<string, { type: string; id: number; keyType?: string }>;
  oneofs?: Record<string, { oneof: string[] }>;
  values?: Record<string, number>;
  methods?: Record<string, unknown>;
  id?: number;
  extensions?: number[][];
  reserved?: (number[] | string)[];
  group?: boolean;
  visibility?: string;
  comment?: string;
  edition?: string;
}

type Mutable = Record<string, unknown>;
/** protobufjs's internal feature resolution (editions), which the lazy types take part in */
interface Resolvable {
  _edition?: string;
  _needsRecursiveFeatureResolution?: boolean;
  _resolveFeatures(edition: string): unknown;
  _resolveFeaturesRecursive(edition: string): unknown;
}

const hasOwn = (object: object | undefined, key: string) => object !== undefined && Object.prototype.hasOwnProperty.call(object, key);

/** the descriptor of a type whose fields are not added yet, and the edition its features were resolved with meanwhile */
interface Pending {
  json: Descriptor;
  edition?: string;
}

/**
 * A message type whose fields and oneofs are added when first read. Accessors on the prototype, so
 * every instance keeps one shape (V8 slows down on objects that each define their own accessors).
 */
class LazyType extends protobuf.Type {
  declare _pending: Pending | undefined;
  declare _fields: Record<string, protobuf.Field>;
  declare _oneofs: Record<string, protobuf.OneOf> | undefined;

  /** Type#get, answering from the descriptor while it can: a lookup walks every namespace's types by name. */
  override get(name: string): protobuf.ReflectionObject | null {
    const pending = this._pending;
    if (pending && !hasOwn(pending.json.fields, name) && !hasOwn(pending.json.oneofs, name))
      return this.nested && hasOwn(this.nested, name) ? this.nested[name]! : null;
    return super.get(name);
  }

  /**
   * Type#setup, generating each of the message's five functions (encode, decode, verify, fromObject,
   * toObject) when it is first called instead of all five at once: a command encodes its requests
   * and decodes its responses, and generating code is much of a call's CPU time. The same
   * generators with the same arguments; the types with a custom wrapper (Any) get Type#setup itself.
   */
  override setup(): this {
    if (protobuf.wrappers[this.fullName]) return super.setup() as this;
    const root = this.root as unknown as Resolvable | null;
    if (root && root._needsRecursiveFeatureResolution) {
      const edition = (root as Resolvable)._edition || (this as unknown as Resolvable)._edition;
      if (edition) root._resolveFeaturesRecursive(edition);
    }
    const types = this.fieldsArray.map((field) => field.resolve().resolvedType);
    const { util, Writer, Reader } = protobuf;
    const self = this as unknown as Record<string, (...args: unknown[]) => unknown>;
    const onFirstCall = (name: string, generate: () => (...args: unknown[]) => unknown) => {
      self[name] = function (this: unknown, ...args: unknown[]) {
        const generated = generate();
        self[name] = generated;
        return generated.apply(this, args);
      };
    };
    onFirstCall('encode', () => protobuf.encoder(this)({ Writer, types, util }) as never);
    onFirstCall('decode', () => protobuf.decoder(this)({ Reader, types, util, C: this.ctor }) as never);
    onFirstCall('verify', () => protobuf.verifier(this)({ types, util }) as never);
    onFirstCall('fromObject', () => protobuf.converter.fromObject(this)({ types, util, C: this.ctor }) as never);
    onFirstCall('toObject', () => protobuf.converter.toObject(this)({ types, util }) as never);
    return this;
  }

  /**
   * The first setup() of any type resolves every object's features (editions), from the root down:
   * this type's own and its nested objects' now, its fields' when they are added.
   */
  override _resolveFeaturesRecursive(edition: string): this {
    const pending = this._pending;
    if (!pending) return (protobuf.Type.prototype as unknown as Resolvable)._resolveFeaturesRecursive.call(this, edition) as this;
    if (!(this as unknown as Resolvable)._needsRecursiveFeatureResolution) return this;
    pending.edition = (this as unknown as Resolvable)._edition || edition;
    return (protobuf.Namespace.prototype as unknown as Resolvable)._resolveFeaturesRecursive.call(this, edition) as this;
  }
}

function populate(type: LazyType): void {
  const pending = type._pending;
  if (!pending) return;
  type._pending = undefined;
  for (const [name, field] of Object.entries(pending.json.fields ?? {}))
    type.add((field.keyType !== undefined ? protobuf.MapField : protobuf.Field).fromJSON(name, field as never));
  for (const [name, oneof] of Object.entries(pending.json.oneofs ?? {})) type.add(protobuf.OneOf.fromJSON(name, oneof as never));
  // Added to a type already in the root, the fields were also registered for lookup by full name, which
  // addJSON never does (it adds them before the type joins the root): unregistered, lookups stay the same.
  const registry = (type.root as unknown as { _fullyQualifiedObjects?: Record<string, unknown> })._fullyQualifiedObjects;
  if (registry) for (const field of type.fieldsArray) if (registry[field.fullName] === field) delete registry[field.fullName];
  // What Type#_resolveFeaturesRecursive did not do for them then (oneofs first: a field in one takes its features).
  if (pending.edition !== undefined) {
    for (const oneof of type.oneofsArray) (oneof as unknown as Resolvable)._resolveFeatures(pending.edition);
    for (const field of type.fieldsArray) (field as unknown as Resolvable)._resolveFeatures(pending.edition);
  }
}

// Every protobufjs code path that uses a message's fields reads `fields` or `oneofs` (fieldsArray,
// fieldsById, setup, the generated encoder and decoder, toJSON): reading either adds them first.
// The Type constructor's own `this.fields = {}` goes through the setter, as does every later write.
for (const key of ['fields', 'oneofs'] as const) {
  const slot = key === 'fields' ? '_fields' : '_oneofs';
  Object.defineProperty(LazyType.prototype, key, {
    configurable: true,
    get(this: LazyType) {
      if (this._pending) populate(this);
      return this[slot];
    },
    set(this: LazyType, value: never) {
      this[slot] = value;
    },
  });
}

// protobufjs tells reflection objects apart by their constructor (lookupType, lookupTypeOrEnum): still a Type.
Object.defineProperty(LazyType.prototype, 'constructor', { value: protobuf.Type, writable: true, configurable: true });

// Type#fieldsById starts its cache before it reads `fields`, and adding a field clears that cache: add them first.
const fieldsById = Object.getOwnPropertyDescriptor(protobuf.Type.prototype, 'fieldsById')!;
Object.defineProperty(LazyType.prototype, 'fieldsById', {
  configurable: true,
  get(this: LazyType) {
    if (this._pending) populate(this);
    return fieldsById.get!.call(this);
  },
});

/** What Type.fromJSON does, with the fields and oneofs left to the first read. */
function lazyType(name: string, json: Descriptor, depth: number): protobuf.Type {
  if (depth > protobuf.util.nestingLimit) throw new Error('max depth exceeded');
  const type = new LazyType(name, json.options);
  type._pending = { json };
  const raw = type as unknown as Mutable;
  if (json.nested) for (const [nestedName, nested] of Object.entries(json.nested)) type.add(fromJSON(nestedName, nested, depth + 1));
  raw.extensions = json.extensions;
  raw.reserved = json.reserved;
  if (json.group) raw.group = true;
  if (json.visibility) raw.visibility = json.visibility;
  if (json.comment) raw.comment = json.comment;
  if (json.edition) raw._edition = json.edition;
  raw._defaultEdition = 'proto3';
  return type;
}

/** Namespace#addJSON's choice of reflection class, with message types made lazily. */
function fromJSON(name: string, json: Descriptor, depth: number): protobuf.ReflectionObject {
  if (json.id !== undefined) return protobuf.Field.fromJSON(name, json as never);
  if (json.fields !== undefined) return lazyType(name, json, depth);
  if (json.values !== undefined) return protobuf.Enum.fromJSON(name, json as never);
  if (json.methods !== undefined) return protobuf.Service.fromJSON(name, json as never);
  const namespace = new protobuf.Namespace(name, json.options);
  if (json.nested) addLazily(namespace, json.nested, depth + 1);
  return namespace;
}

function addLazily(namespace: protobuf.NamespaceBase, nested: Record<string, Descriptor>, depth: number): void {
  for (const [name, json] of Object.entries(nested)) namespace.add(fromJSON(name, json, depth));
}

/** Root#addJSON(nested), with each message's fields built on first use. */
export function addJSONLazily<T extends protobuf.Root>(root: T, nested: Record<string, Descriptor>): T {
  addLazily(root, nested, 0);
  return root;
}
