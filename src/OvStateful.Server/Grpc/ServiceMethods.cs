using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Microsoft.Extensions.ObjectPool;

namespace OvStateful.Server.Grpc;

/// <summary>
/// Binds a service's methods with <see cref="ProtoMarshallers"/>, each checked against the
/// service's generated descriptor, so a method the .proto does not declare (or declares with
/// other streaming) fails at start-up rather than on a client's call. Grpc.AspNetCore passes
/// no handlers (it finds the overriding methods itself), so neither do we.
/// </summary>
internal readonly struct ServiceMethods(ServiceBinderBase binder, ServiceDescriptor service)
{
    public void Unary<TRequest, TResponse>(string name, MessageParser<TRequest> request, MessageParser<TResponse> response)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse> =>
        binder.AddMethod(Method(MethodType.Unary, name, ProtoMarshallers.For(request), ProtoMarshallers.For(response)), (UnaryServerMethod<TRequest, TResponse>)null!);

    public void Duplex<TRequest, TResponse>(string name, MessageParser<TRequest> request, MessageParser<TResponse> response, ObjectPool<TRequest>? requests = null)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse> =>
        binder.AddMethod(Method(MethodType.DuplexStreaming, name, ProtoMarshallers.Tolerant(request, requests), ProtoMarshallers.For(response)),
            (DuplexStreamingServerMethod<Incoming<TRequest>, TResponse>)null!);

    private Method<TRequest, TResponse> Method<TRequest, TResponse>(MethodType type, string name, Marshaller<TRequest> request, Marshaller<TResponse> response)
    {
        var declared = service.FindMethodByName(name) ?? throw new InvalidOperationException($"{service.FullName} declares no method {name}");
        var expected = (declared.IsClientStreaming, declared.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (true, false) => MethodType.ClientStreaming,
            (false, true) => MethodType.ServerStreaming,
            (true, true) => MethodType.DuplexStreaming,
        };
        if (expected != type) throw new InvalidOperationException($"{service.FullName}.{name} is {expected} in the .proto, bound as {type}");
        return new Method<TRequest, TResponse>(type, service.FullName, name, request, response);
    }
}
