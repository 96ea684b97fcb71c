using System.CommandLine;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Engines;

namespace OvStateful.Cli.Commands;

/// <summary>
/// perf_analyzer's input options, shared by run, compare and bench: --input-data (random,
/// zero, a JSON file in perf_analyzer's format, or a folder of raw input files; repeatable)
/// and --sequence-length-variation.
/// </summary>
internal sealed class InputOptions
{
    private readonly Option<string[]> _data;
    private readonly Option<double> _variation;

    /// <param name="defaultVariation">perf_analyzer's default is 20 (bench); run and compare play exact lengths (0).</param>
    public InputOptions(double defaultVariation)
    {
        _data = new Option<string[]>("--input-data")
        {
            Description = "Inputs as perf_analyzer takes them: random (default: seeded synthetic values), zero, a JSON file ({\"data\": [steps] or [[steps of a sequence], ...]}, " +
                          "tensors as arrays, {\"b64\": ...} or {\"content\": ..., \"shape\": [...]}), or a folder with one raw binary file per input. Repeat to add the streams of several files",
            AllowMultipleArgumentsPerToken = false,
            Arity = ArgumentArity.OneOrMore,
            HelpName = "random|zero|path",
        };
        _variation = new Option<double>("--sequence-length-variation")
        {
            Description = $"Vary each sequence's length by up to this percentage of --sequence-length, drawn per sequence from the seed (perf_analyzer's, whose default is 20). Default {defaultVariation}",
            DefaultValueFactory = _ => defaultVariation,
        };
        _variation.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && double.TryParse(r.Tokens[^1].Value, System.Globalization.CultureInfo.InvariantCulture, out var v) && !(v is >= 0 and < 100))
                r.AddError($"--sequence-length-variation expects a percentage from 0 to below 100, not {r.Tokens[^1].Value}");
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_data);
        command.Options.Add(_variation);
    }

    public Choice Read(ParseResult parse) => new(parse.GetValue(_data) ?? [], parse.GetValue(_variation));

    /// <param name="Data">--input-data values; empty: random.</param>
    internal sealed record Choice(IReadOnlyList<string> Data, double VariationPercent)
    {
        public bool Synthetic => Data.Count == 0 || Data is ["random"];

        /// <summary>
        /// The steps for <paramref name="sequences"/> sequences. Synthetic and zero inputs have
        /// <paramref name="length"/> steps (varied); input data streams are as long as they are,
        /// unless <paramref name="lengthGiven"/> (then they loop up to it, as perf_analyzer does).
        /// </summary>
        public IStepSource Source(IReadOnlyList<TensorSpec> inputs, int sequences, int length, bool lengthGiven, int seed)
        {
            var lengths = new SequenceLengths(length, VariationPercent, seed);
            if (Synthetic) return new SyntheticSteps(inputs, sequences, lengths, seed);
            if (Data is ["zero"]) return new SyntheticSteps(inputs, sequences, lengths, seed, zero: true);
            if (Data.Any(d => d is "random" or "zero"))
                throw new UsageException("--input-data random or zero stands alone; JSON files and folders may be repeated together");
            var streams = InputData.Load(Data, inputs);
            var what = $"input data ({streams.Count} stream(s) from {string.Join(", ", Data.Select(Path.GetFileName))})";
            return new InputDataSteps(streams, sequences, lengthGiven ? lengths : null, what);
        }
    }
}
