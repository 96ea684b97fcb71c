using OvStateful.Core.Config;

namespace OvStateful.Core.Tests.Config;

/// <summary>Sizes that cannot be served are located config errors, not an overflow at load (ovs validate once passed a dim of 2^29 that made ovs serve exit).</summary>
public class ConfigSizeTests
{
    private static string Problems(string text) => string.Join("\n", ConfigValidator.Validate(ModelConfigParser.Parse(text)).Select(p => p.ToString()));

    private const string Io = "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ DIM ] } ]\noutput [ { name: \"y\" data_type: TYPE_FP32 dims: [ 1 ] } ]\n";

    [Fact]
    public void A_dimension_of_2_to_the_29_floats_is_a_located_error()
    {
        var text = Problems("name: \"m\"\nmax_batch_size: 0\n" + Io.Replace("DIM", "536870912"));
        Assert.Contains("input[0].dims: [536870912] of TYPE_FP32 is 2147483648 bytes per request; a tensor must stay under 2147483591 bytes", text);
    }

    [Fact]
    public void A_batch_whose_tensors_cannot_fit_and_too_many_slots_are_located_errors()
    {
        var text = Problems("name: \"m\"\nmax_batch_size: 536870912\n" + Io.Replace("DIM", "20") +
            "sequence_batching { oldest { max_candidate_sequences: 536870912 } }\n");
        Assert.Contains("input[0].dims: [20] of TYPE_FP32 is 80 bytes per request, 42949672960 for a batch of max_batch_size 536870912", text);
        Assert.Contains("sequence_batching.oldest.max_candidate_sequences: gives 536870912 slots; a model holds at most 16777216 live sequences", text);
    }

    [Fact]
    public void A_state_whose_slots_cannot_fit_and_too_many_instances_are_located_errors()
    {
        var text = Problems("name: \"m\"\nmax_batch_size: 4096\n" + Io.Replace("DIM", "20") +
            "sequence_batching { oldest { max_candidate_sequences: 8192 } state [ { input_name: \"s\" output_name: \"sn\" data_type: TYPE_FP32 dims: [ -1, 1048576 ] } ] }\n");
        Assert.Contains("sequence_batching.state[0].dims: [-1, 1048576] of TYPE_FP32 for 8192 slots is 34359738368 bytes; one instance's states of one pair must stay under 2147483591 bytes", text);
        var instances = Problems("name: \"m\"\nmax_batch_size: 1\n" + Io.Replace("DIM", "20") + "instance_group [ { count: 2000 kind: KIND_CPU } ]\n");
        Assert.Contains("instance_group: 2000 instances in all; a model is served by at most 1024", instances);
    }

    [Fact]
    public void Sizes_a_server_can_hold_pass()
    {
        var text = Problems("name: \"m\"\nmax_batch_size: 256\n" + Io.Replace("DIM", "512") +
            "sequence_batching { oldest { max_candidate_sequences: 1024 } state [ { input_name: \"s\" output_name: \"sn\" data_type: TYPE_FP32 dims: [ 2, -1, 128 ] } ] }\n");
        Assert.DoesNotContain("bytes", text);
        Assert.DoesNotContain("slots", text);
    }
}
