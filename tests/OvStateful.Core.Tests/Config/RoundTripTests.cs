using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using OvStateful.Core.Config;

namespace OvStateful.Core.Tests.Config;

/// <summary>parse → write → parse gives an equal config, for every field ModelConfig models.</summary>
public class RoundTripTests
{
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    internal static string Snapshot(ModelConfig c) => JsonSerializer.Serialize(c, Json);

    public static TheoryData<int> Sinks => new(Enumerable.Range(0, ConfigSamples.KitchenSinks.Length));

    [Theory]
    [MemberData(nameof(Sinks))]
    public void Kitchen_sink_round_trips(int index)
    {
        var first = ModelConfigParser.Parse(ConfigSamples.KitchenSinks[index]);
        var text = ModelConfigWriter.Write(first);
        var second = ModelConfigParser.Parse(text, "written.pbtxt");
        Assert.Equal(Snapshot(first), Snapshot(second));
        Assert.Equal(text, ModelConfigWriter.Write(second));
    }

    [Theory]
    [InlineData("accumulate_fp32")]
    [InlineData("accumulate_int32")]
    public void Conformance_configs_round_trip(string model)
    {
        var first = ModelConfigParser.ParseFile(TestPaths.ConformanceConfig(model));
        var second = ModelConfigParser.Parse(ModelConfigWriter.Write(first));
        Assert.Equal(Snapshot(first), Snapshot(second));
    }

    [Fact]
    public void Samples_set_every_modeled_property_to_a_non_default_value()
    {
        // Guards the round-trip test: a property added to ModelConfig later must be added to the samples (and the writer).
        var covered = new HashSet<string>();
        foreach (var text in ConfigSamples.KitchenSinks) Walk(ModelConfigParser.Parse(text), covered);
        var all = new HashSet<string>();
        CollectProperties(typeof(ModelConfig), all);
        Assert.Empty(all.Except(covered).Order());
    }

    [Fact]
    public void Writer_output_is_readable_text()
    {
        var c = ModelConfigParser.Parse(ConfigSamples.KitchenSinks[0]);
        var text = ModelConfigWriter.Write(c);
        Assert.Contains("name: \"y\\t\\\"q\\\"\\\\ é\"", text);
        Assert.Contains("  oldest {\n    max_candidate_sequences: 64\n    preferred_batch_size: [ 4, 8 ]", text);
        Assert.Contains("kind: CONTROL_SEQUENCE_CORRID\n      data_type: TYPE_STRING", text);
        Assert.Contains("version_policy {\n  specific {\n    versions: [ 1, 3 ]\n  }\n}", text);
    }

    private static bool IsModelType(Type t) => t.Namespace == typeof(ModelConfig).Namespace && t.IsClass;

    private static void CollectProperties(Type t, HashSet<string> into)
    {
        foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!into.Add($"{t.Name}.{p.Name}")) continue;
            var pt = p.PropertyType;
            var element = pt.IsGenericType ? pt.GetGenericArguments().Last() : pt;
            if (IsModelType(element)) CollectProperties(element, into);
        }
    }

    private static void Walk(object o, HashSet<string> covered)
    {
        var t = o.GetType();
        var fresh = Activator.CreateInstance(t)!;
        foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var v = p.GetValue(o);
            switch (v)
            {
                case null:
                    continue;
                case IDictionary d:
                    if (d.Count > 0) covered.Add($"{t.Name}.{p.Name}");
                    foreach (var x in d.Values) if (x is not null && IsModelType(x.GetType())) Walk(x, covered);
                    break;
                case IList l:
                    if (l.Count > 0) covered.Add($"{t.Name}.{p.Name}");
                    foreach (var x in l) if (x is not null && IsModelType(x.GetType())) Walk(x, covered);
                    break;
                default:
                    if (IsModelType(v.GetType()))
                    {
                        covered.Add($"{t.Name}.{p.Name}");
                        Walk(v, covered);
                    }
                    else if (!Equals(v, p.GetValue(fresh)))
                    {
                        covered.Add($"{t.Name}.{p.Name}");
                    }
                    break;
            }
        }
    }
}
