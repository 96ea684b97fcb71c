namespace OvStateful.Cli.Workloads;

/// <summary>
/// How many steps each sequence has: a base length varied by up to ±<see cref="VariationPercent"/>
/// (perf_analyzer's --sequence-length and --sequence-length-variation: uniform over
/// [L·(1−v), L·(1+v)], at least 1), drawn from (seed, sequence) so every engine and every
/// replay sees the same lengths.
/// </summary>
internal sealed record SequenceLengths(int BaseLength, double VariationPercent = 0, int Seed = 1)
{
    public static SequenceLengths Fixed(int length) => new(length);

    public int Of(int sequence)
    {
        if (VariationPercent <= 0) return BaseLength;
        // SplitMix64 of (seed, sequence): the same in every process.
        var z = ((ulong)(uint)Seed << 32 ^ (uint)sequence) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        var u = (z >> 11) * (1.0 / (1UL << 53)) * 2 - 1;
        var offset = (long)(u * VariationPercent / 100 * BaseLength); // cut toward 0, as perf_analyzer does
        return (int)Math.Max(1, BaseLength + offset);
    }

    public string Description => VariationPercent > 0 ? $"{BaseLength} ± {VariationPercent:0.#}% steps" : $"{BaseLength} steps";
}
