using OvStateful.Core.Serving;

namespace OvStateful.Server.Tests.TestDoubles;

/// <summary>What a real served model does first with every request, for the test doubles.</summary>
internal static class RequestChecks
{
    /// <summary>Core's one request check (as the batcher runs it), from the double's specs and config.</summary>
    public static void CheckRequest(this IServedModel model, InferenceRequest request) =>
        RequestValidator.ForConfig(model.Inputs, model.Outputs, model.Config).Validate(request);
}
