using System.Text.Json;
using Google.Protobuf.Collections;
using OvStateful.Core.Serving;
using OvStateful.Server.Hosting;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Protocol;

/// <summary>
/// Triton's model control requests, for both protocols: whether clients may load and unload
/// (explicit model control only), and a load request's parameters: <c>config</c> (a model
/// configuration as a JSON string) and <c>file:&lt;path&gt;</c> (file contents: base64 in HTTP's
/// JSON, bytes_param in gRPC).
/// </summary>
internal static class ModelControl
{
    public const string ConfigParameter = "config";

    /// <summary>Refuses load and unload unless model control is explicit, with Triton's message (its clients match it) and how to allow them.</summary>
    public static void CheckAllowed(ServerOptions options, string action, string model)
    {
        if (options.ExplicitModelControl) return;
        throw new InferenceException(InferenceErrorKind.Unavailable,
            $"explicit model load / unload is not allowed if polling is enabled: this server runs with --model-control-mode {options.ModelControlMode.ToLowerInvariant()}, so the {action} of model '{model}' is refused; start it with --model-control-mode explicit to load and unload models");
    }

    /// <summary>The parameters of an HTTP load request's body ({"parameters": {...}}); none when the body is empty.</summary>
    public static ModelLoadParameters FromJson(ReadOnlyMemory<byte> body, string model)
    {
        if (body.IsEmpty) return ModelLoadParameters.None;
        using var doc = Http.HttpBody.ParseJson(body);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("parameters", out var parameters)) return ModelLoadParameters.None;
        if (parameters.ValueKind != JsonValueKind.Object) throw ServerErrors.Invalid($"failed to load '{model}': 'parameters' must be a JSON object");
        string? config = null;
        var files = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        foreach (var p in parameters.EnumerateObject())
        {
            if (p.Name == ConfigParameter)
            {
                config = p.Value.ValueKind == JsonValueKind.String
                    ? p.Value.GetString()
                    : throw ServerErrors.Invalid($"failed to load '{model}': parameter 'config' is {p.Value.ValueKind}; expected the model configuration as a JSON string");
            }
            else if (p.Name.StartsWith(ModelLoadParameters.FilePrefix, StringComparison.Ordinal))
            {
                if (p.Value.ValueKind != JsonValueKind.String || !p.Value.TryGetBytesFromBase64(out var bytes))
                    throw ServerErrors.Invalid($"failed to load '{model}': parameter '{p.Name}' must be the file's contents in base64");
                files[p.Name[ModelLoadParameters.FilePrefix.Length..]] = bytes;
            }
        }
        return new ModelLoadParameters { ConfigJson = config, Files = files };
    }

    /// <summary>The parameters of a gRPC RepositoryModelLoadRequest.</summary>
    public static ModelLoadParameters FromProto(MapField<string, Proto.ModelRepositoryParameter> parameters, string model)
    {
        if (parameters.Count == 0) return ModelLoadParameters.None;
        string? config = null;
        var files = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        foreach (var (key, p) in parameters)
        {
            if (key == ConfigParameter)
            {
                config = p.ParameterChoiceCase == Proto.ModelRepositoryParameter.ParameterChoiceOneofCase.StringParam
                    ? p.StringParam
                    : throw ServerErrors.Invalid($"failed to load '{model}': parameter 'config' is a {p.ParameterChoiceCase}; expected string_param holding the model configuration in JSON");
            }
            else if (key.StartsWith(ModelLoadParameters.FilePrefix, StringComparison.Ordinal))
            {
                files[key[ModelLoadParameters.FilePrefix.Length..]] = p.ParameterChoiceCase == Proto.ModelRepositoryParameter.ParameterChoiceOneofCase.BytesParam
                    ? p.BytesParam.Memory
                    : throw ServerErrors.Invalid($"failed to load '{model}': parameter '{key}' is a {p.ParameterChoiceCase}; expected bytes_param holding the file's contents");
            }
        }
        return new ModelLoadParameters { ConfigJson = config, Files = files };
    }
}
