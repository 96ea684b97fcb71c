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

    /// <summary>What the steps of a call wait with: cancelled when the client goes or the deadline passes. Dispose when the call ends.</summary>
    public static CallWait For(HttpContext http, CancellationToken callAborted) => new(http.Features.Get<CallDeadline>(), callAborted);

    internal sealed class CallWait : IDisposable
    {
        // Fires at the deadline (none without one); linked with the call's own cancellation into _any.
        private readonly CancellationTokenSource? _deadline;
        private readonly CancellationTokenSource _any;

        public CallWait(CallDeadline? deadline, CancellationToken callAborted)
        {
            if (deadline is not null)
            {
                var left = deadline.Utc - DateTime.UtcNow;
                _deadline = new CancellationTokenSource();
                if (left <= TimeSpan.Zero) _deadline.Cancel(); else _deadline.CancelAfter(left);
                _any = CancellationTokenSource.CreateLinkedTokenSource(callAborted, _deadline.Token);
            }
            else
            {
                _any = CancellationTokenSource.CreateLinkedTokenSource(callAborted);
            }
        }

        public CancellationToken Token => _any.Token;

        /// <summary>A step the batcher removed before it ran because the deadline passed fails DEADLINE_EXCEEDED saying so.</summary>
        public Exception Explain(Exception error) =>
            error is InferenceException { Kind: InferenceErrorKind.Cancelled } e && _deadline is { IsCancellationRequested: true }
                ? new InferenceException(InferenceErrorKind.DeadlineExceeded, $"deadline exceeded before the step ran: {e.Message}", e)
                : error;

        public void Dispose()
        {
            _any.Dispose();
            _deadline?.Dispose();
        }
    }
}
