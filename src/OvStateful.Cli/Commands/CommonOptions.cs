using System.CommandLine;

namespace OvStateful.Cli.Commands;

/// <summary>Options that run, compare and bench share, documented once.</summary>
internal static class CommonOptions
{
    public static Option<DirectoryInfo> Repository() => new("--model-repository", "-r")
    {
        Description = "Model repository folder (Triton layout: <model>/config.pbtxt + numbered version folders). Default: ./models, else the example models that come with ovs",
        DefaultValueFactory = _ => ExampleModels.Default(),
    };

    public static Option<string> Model() => new("--model", "-m")
    {
        Description = "Model name (a folder of the repository)",
        Required = true,
    };

    public static Option<int> Sequences(int defaultValue) => Positive(new Option<int>("--sequences", "-n")
    {
        Description = "Concurrent sequences; each is a client that sends its next step when the previous one completed",
        DefaultValueFactory = _ => defaultValue,
    });

    public static Option<int> Steps(int defaultValue, string description) => Positive(new Option<int>("--steps", "-k")
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
    });

    public static Option<int> Seed() => new("--seed")
    {
        Description = "Seed of the synthetic inputs (the same seed gives bit-identical inputs)",
        DefaultValueFactory = _ => 1,
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "Inference threads per engine instance: ONNX Runtime's intra-op threads, OpenVINO's INFERENCE_NUM_THREADS (0 = each runtime's default)",
        DefaultValueFactory = _ => 0,
    };

    public static Option<T> Positive<T>(Option<T> option) where T : System.Numerics.INumber<T>
    {
        option.Validators.Add(r =>
        {
            if (!IsNumber<T>(r)) return;
            var v = r.GetValueOrDefault<T>();
            if (v <= T.Zero) r.AddError($"{option.Name} expects a whole number of at least 1, not {v}");
        });
        return option;
    }

    /// <summary>An optional count: when given, at least 1.</summary>
    public static Option<T?> Positive<T>(Option<T?> option) where T : struct, System.Numerics.INumber<T>
    {
        option.Validators.Add(r =>
        {
            if (!IsNumber<T>(r)) return;
            if (r.GetValueOrDefault<T?>() is { } v && v <= T.Zero) r.AddError($"{option.Name} expects a whole number of at least 1, not {v}");
        });
        return option;
    }

    /// <summary>A TCP port: 0 (any free port) to 65535; null when not given.</summary>
    public static Option<int?> Port(string name, string description)
    {
        var option = new Option<int?>(name) { Description = description };
        option.Validators.Add(r =>
        {
            if (!IsNumber<int>(r)) return;
            if (r.GetValueOrDefault<int?>() is { } v && v is < 0 or > 65535) r.AddError($"{name} expects a port from 0 (any free port) to 65535, not {v}");
        });
        return option;
    }

    /// <summary>A Triton-style boolean switch: "--log-info" alone is true, "--log-info false" or "--log-info=false" false, absent null.</summary>
    public static bool? Flag(ParseResult parse, Option<bool?> option) =>
        parse.GetResult(option) is { } r ? (r.Tokens.Count == 0 || parse.GetValue(option) != false) : null;

    /// <summary>A value from a fixed set (case ignored); anything else is one line naming the choices.</summary>
    public static Option<T> Choice<T>(Option<T> option, params string[] choices)
    {
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count == 0) return;
            var v = r.Tokens[^1].Value;
            if (!choices.Contains(v, StringComparer.Ordinal)) r.AddError($"{option.Name} expects {string.Join(" or ", choices)}, not \"{v}\"");
        });
        option.CompletionSources.Add(choices);
        return option;
    }

    /// <summary>A token that is not a number is reported by the parser itself; reading it in a validator would throw.</summary>
    private static bool IsNumber<T>(System.CommandLine.Parsing.OptionResult r) where T : System.Numerics.INumber<T> =>
        r.Tokens.Count == 0 || T.TryParse(r.Tokens[^1].Value, System.Globalization.CultureInfo.InvariantCulture, out _);

    /// <summary>Runs a command body; a <see cref="UsageException"/> prints "ovs NAME: message" and exits 2.</summary>
    public static int Guard(string command, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"ovs {command}: {e.Message}");
            return 2;
        }
    }
}

internal static class CommandGuard
{
    /// <summary>Async form of <see cref="CommonOptions.Guard"/>; Ctrl+C cancels the work and exits 130.</summary>
    public static async Task<int> RunAsync(string command, Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"ovs {command}: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"ovs {command}: cancelled");
            return 130;
        }
    }
}
