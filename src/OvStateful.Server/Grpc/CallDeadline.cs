using System.Globalization;
using Microsoft.AspNetCore.Http;
using OvStateful.Core.Serving;

namespace OvStateful.Server.Grpc;

/// <summary>
/// A call's deadline (grpc-timeout), kept by us instead of Grpc.AspNetCore so that it keeps
/// one promise: DEADLINE_EXCEEDED means the step did not run. Grpc.AspNetCore, at the
/// deadline, answers DEADLINE_EXCEEDED and aborts the call even when the step is already in
/// a batch and will change the sequence's state. Here the deadline only cancels the step's
/// wait: a step still queued is removed and fails DEADLINE_EXCEEDED (changed nothing); one
/// already taken into a batch runs, and its answer is sent, late, as Triton sends it (its
/// timeouts apply to queued requests only). The middleware moves the header into this
/// feature before gRPC routing sees it.
/// </summary>
internal sealed class CallDeadline
{
    private CallDeadline(DateTime utc) => Utc = utc;

    /// <summary>When the client stops waiting.</summary>
    public DateTime Utc { get; }

    /// <summary>Middleware for the gRPC host: grpc-timeout becomes a <see cref="CallDeadline"/> (an unreadable value is ignored, as gRPC servers do).</summary>
    public static Task Take(HttpContext context, Func<Task> next)
    {
        if (context.Request.Headers.Remove("grpc-timeout", out var value) && TryParse(value.ToString(), out var timeout))
            context.Features.Set(new CallDeadline(DateTime.UtcNow + timeout));
        return next();
    }

    /// <summary>grpc-timeout: up to 8 digits and a unit (H, M, S, m, u, n).</summary>
    internal static bool TryParse(string text, out TimeSpan timeout)
    {
        timeout = default;
        if (text.Length is < 2 or > 9 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
        double ms = text[^1] switch
        {
            'H' => n * 3_600_000.0,
            'M' => n * 60_000.0,
            'S' => n * 1_000.0,
            'm' => n,
            'u' => n / 1_000.0,
            'n' => n / 1_000_000.0,
            _ => -1,
        };
        if (ms < 0) return false;
        // Beyond ~24 days a timer cannot be set; such a deadline never comes in practice.
        timeout = TimeSpan.FromMilliseconds(Math.Min(ms, int.MaxValue - 1));
        return true;
    }

    /// <summary>
    /// A token for the steps of a call: cancelled when the client goes or the deadline passes.
    /// Dispose the source when the call ends.
    /// </summary>
    public static CancellationTokenSource For(HttpContext http, CancellationToken callAborted)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(callAborted);
        if (http.Features.Get<CallDeadline>() is { } d)
        {
            var left = d.Utc - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) source.Cancel();
            else source.CancelAfter(left);
        }
        return source;
    }

    /// <summary>A step the batcher removed before it ran, because the deadline passed, fails DEADLINE_EXCEEDED saying so.</summary>
    public static Exception Explain(Exception error, HttpContext http) =>
        error is InferenceException { Kind: InferenceErrorKind.Cancelled } e && http.Features.Get<CallDeadline>() is { } d && DateTime.UtcNow >= d.Utc
            ? new InferenceException(InferenceErrorKind.DeadlineExceeded, $"deadline exceeded before the step ran: {e.Message}", e)
            : error;
}
