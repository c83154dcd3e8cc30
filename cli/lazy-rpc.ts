/**
 * Builds a gRPC method's protobuf types when it is first called instead of when the connection is
 * made. protobufjs's Service.create resolves every method's request and response type and generates
 * their constructors up front: for the four services a Temporal Connection makes, some 200 message
 * types, most of a `tourniquet status` call's CPU time after loading, for the two or three methods
 * a command calls. The call itself is protobufjs's own rpcCall with the same method and types.
 * Installed by the CLI's commands only (this process is one command; `dev` does not install it).
 */
import protobuf from 'protobufjs/light';

type Message = protobuf.Message;
type RpcMethod = (request: Message, callback?: protobuf.rpc.ServiceMethodCallback<Message>) => unknown;

let installed = false;

export function installLazyRpcMethods(): void {
  if (installed) return;
  installed = true;
  const { Service, rpc, util } = protobuf;
  Service.prototype.create = function create(rpcImpl, requestDelimited = false, responseDelimited = false) {
    const service = new rpc.Service(rpcImpl, requestDelimited, responseDelimited);
    for (const method of this.methodsArray) {
      // The name protobufjs gives the method (resolving does not change it).
      const name = util.lcFirst(method.name).replace(/[^$\w_]/g, '');
      let types: [protobuf.Constructor<Message>, protobuf.Constructor<Message>] | undefined;
      const call: RpcMethod = function rpcMethod(this: protobuf.rpc.Service, request, callback) {
        if (!types) {
          method.resolve();
          types = [
            method.resolvedRequestType!.ctor as protobuf.Constructor<Message>,
            method.resolvedResponseType!.ctor as protobuf.Constructor<Message>,
          ];
        }
        // Without a callback, rpcCall returns a promise (its typings say void).
        return rpc.Service.prototype.rpcCall.call(this, method, types[0], types[1], request, callback!);
      };
      (service as unknown as Record<string, RpcMethod>)[name] = call;
    }
    return service;
  };
}
