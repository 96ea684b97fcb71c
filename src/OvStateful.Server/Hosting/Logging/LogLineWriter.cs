using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace OvStateful.Server.Hosting.Logging;

/// <summary>
/// Writes log entries as lines to one <see cref="TextWriter"/>, synchronously under a lock
/// (log lines are rare: start-up, lifecycle, verbose diagnostics; never per step at the
/// default level). Format "default" is Triton's: a level letter, month and day, wall-clock
/// time to the microsecond, the category, then the message (a multi-line message such as a
/// table follows on its own lines). Format "json" is one object a line: time, level,
/// category, message, the message template's named values, and the exception.
/// </summary>
public sealed class LogLineWriter : ILoggerProvider
{
    private readonly TextWriter _writer;
    private readonly bool _json;
    private readonly bool _ownsWriter;
    private readonly bool[] _enabled;
    // Guards _writer: one entry's lines are never interleaved with another's.
    private readonly Lock _lock = new();
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="ownsWriter">Dispose the writer with the provider (a log file).</param>
    public LogLineWriter(TextWriter writer, ServerLogOptions options, bool ownsWriter = false)
    {
        _writer = writer;
        _json = string.Equals(options.Format, "json", StringComparison.OrdinalIgnoreCase);
        _ownsWriter = ownsWriter;
        // Triton's switches are independent: --log-info false keeps warnings and errors. Debug
        // and trace are left to the level rules (--log-verbose, the Logging section).
        _enabled = new bool[(int)LogLevel.None + 1];
        _enabled[(int)LogLevel.Trace] = _enabled[(int)LogLevel.Debug] = true;
        _enabled[(int)LogLevel.Information] = options.Info;
        _enabled[(int)LogLevel.Warning] = options.Warning;
        _enabled[(int)LogLevel.Error] = _enabled[(int)LogLevel.Critical] = options.Error;
    }

    public ILogger CreateLogger(string categoryName) => new LineLogger(this, categoryName);

    public void Dispose()
    {
        lock (_lock)
        {
            _writer.Flush();
            if (_ownsWriter) _writer.Dispose();
        }
    }

    private bool IsEnabled(LogLevel level) => level is >= LogLevel.Trace and < LogLevel.None && _enabled[(int)level];

    private void Write(LogLevel level, string category, string message, IReadOnlyList<KeyValuePair<string, object?>>? values, Exception? exception)
    {
        var now = DateTimeOffset.Now;
        var line = _json ? Json(now, level, category, message, values, exception) : Default(now, level, category, message, exception);
        lock (_lock)
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }

    private static string Default(DateTimeOffset now, LogLevel level, string category, string message, Exception? exception)
    {
        var letter = level switch
        {
            LogLevel.Trace or LogLevel.Debug => 'V',
            LogLevel.Information => 'I',
            LogLevel.Warning => 'W',
            _ => 'E',
        };
        var sb = new StringBuilder();
        sb.Append(letter).Append(now.ToString("MMdd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)).Append(' ').Append(category).Append("] ").Append(message);
        if (exception is not null) sb.Append(Environment.NewLine).Append(exception);
        return sb.ToString();
    }

    private static string Json(DateTimeOffset now, LogLevel level, string category, string message, IReadOnlyList<KeyValuePair<string, object?>>? values, Exception? exception)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonOptions))
        {
            w.WriteStartObject();
            w.WriteString("time", now.ToString("yyyy-MM-ddTHH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture));
            w.WriteString("level", level switch
            {
                LogLevel.Trace => "trace",
                LogLevel.Debug => "verbose",
                LogLevel.Information => "info",
                LogLevel.Warning => "warning",
                LogLevel.Error => "error",
                _ => "critical",
            });
            w.WriteString("category", category);
            w.WriteString("message", message);
            foreach (var (key, value) in values ?? [])
            {
                // The template itself is noise; the named values are what a log query filters on.
                if (key == "{OriginalFormat}" || key is "time" or "level" or "category" or "message" or "exception") continue;
                switch (value)
                {
                    case null: w.WriteNull(key); break;
                    case bool b: w.WriteBoolean(key, b); break;
                    case int i: w.WriteNumber(key, i); break;
                    case long l: w.WriteNumber(key, l); break;
                    case ulong u: w.WriteNumber(key, u); break;
                    case double d when double.IsFinite(d): w.WriteNumber(key, d); break;
                    default: w.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
                }
            }
            if (exception is not null) w.WriteString("exception", exception.ToString());
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private sealed class LineLogger(LogLineWriter owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => owner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!owner.IsEnabled(logLevel)) return;
            owner.Write(logLevel, category, formatter(state, exception), state as IReadOnlyList<KeyValuePair<string, object?>>, exception);
        }
    }
}
