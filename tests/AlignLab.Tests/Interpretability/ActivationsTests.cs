using AlignLab.Agents;
using AlignLab.Errors;
using AlignLab.Interpretability;
using AlignLab.Nn;
using AlignLab.Scenarios;

namespace AlignLab.Tests.Interpretability;

/// <summary>Observations, targets and recorded activations on CheeseInTheCorner.</summary>
public sealed class ActivationsTests
{
    private static readonly Dictionary<string, string> Small = new() { ["size"] = "7" };

    private static ScenarioDefinition Cheese => ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");

    private static ObservationSet Draw(int levels, ulong seed, bool anywhere = false) =>
        ObservationSet.Draw(Cheese, new ObservationSetOptions { Distribution = "deploy", Levels = levels, Seed = seed, Set = Small, RandomAgentCell = anywhere });

    private static Sequential Cnn(ObservationSet set) =>
        Nets.Cnn(set.World.Channels, set.World.Height, set.World.Width, [8, 8], 3, [32], 4, Activation.Relu, new Random(2));

    [Fact]
    public void Recording_a_layer_from_an_earlier_recording_gives_the_same_bits_as_from_the_observations()
    {
        var set = Draw(300, 4);
        var network = Cnn(set);
        var conv1 = Activations.Record(network, set.Observations, set.Count, Activations.Resolve(network, "conv1"));
        var cact2 = Activations.Resolve(network, "cact2");

        var chained = Activations.Record(network, conv1, cact2);
        var direct = Activations.Record(network, set.Observations, set.Count, cact2);

        Assert.Equal(direct.Shape, chained.Shape);
        Assert.Equal("cact2", chained.Layer);
        Assert.Equal(direct.Values, chained.Values);
    }

    [Fact]
    public void The_first_convolution_equals_a_manual_forward_pass()
    {
        var set = Draw(5, 1);
        var network = Cnn(set);
        var recorded = Activations.Record(network, set.Observations, set.Count, Activations.Resolve(network, "cact1"));
        var state = network.StateDict();
        var w = state["conv1.weight"].Values;
        var bias = state["conv1.bias"].Values;
        int c = set.World.Channels, h = set.World.Height, width = set.World.Width, outC = 8;

        Assert.Equal([outC, h, width], recorded.Shape);
        for (var i = 0; i < set.Count; i++)
        {
            var x = set.Observations.Slice(i * c * h * width, c * h * width);
            for (var o = 0; o < outC; o++)
            {
                for (var r = 0; r < h; r++)
                {
                    for (var q = 0; q < width; q++)
                    {
                        double sum = bias[o];
                        for (var ch = 0; ch < c; ch++)
                        {
                            for (var dr = -1; dr <= 1; dr++)
                            {
                                for (var dq = -1; dq <= 1; dq++)
                                {
                                    var rr = r + dr;
                                    var qq = q + dq;
                                    if (rr >= 0 && rr < h && qq >= 0 && qq < width)
                                    {
                                        sum += w[(((((o * c) + ch) * 3) + dr + 1) * 3) + dq + 1] * x[(((ch * h) + rr) * width) + qq];
                                    }
                                }
                            }
                        }

                        var expected = Math.Max(0, sum);
                        Assert.Equal(expected, recorded.Values[(i * outC * h * width) + (((o * h) + r) * width) + q], 4);
                    }
                }
            }
        }
    }

    [Fact]
    public void The_last_layer_equals_the_network_output_and_recording_is_repeatable()
    {
        var set = Draw(300, 2);
        var network = Cnn(set);
        var last = Activations.Record(network, set.Observations, set.Count, network.Layers.Count - 1);
        var output = new float[4];
        for (var i = 0; i < set.Count; i += 37)
        {
            network.Predict(set.Observations.Slice(i * set.ObservationSize, set.ObservationSize), output);
            for (var a = 0; a < 4; a++)
            {
                // A batch of one and a batch of 256 sum in different orders: equal to float rounding.
                Assert.Equal(output[a], last.Values[(i * 4) + a], 5);
            }
        }

        Assert.Equal(last.Values, Activations.Record(network, set.Observations, set.Count, network.Layers.Count - 1).Values);
    }

    [Fact]
    public void Targets_come_from_the_true_state()
    {
        var set = Draw(60, 3, anywhere: true);
        var world = set.World;
        var cheese = ProbeTargets.Compute(set, "cheese").Labels;
        var corner = ProbeTargets.Compute(set, "corner").Labels;
        var step = ProbeTargets.Compute(set, "corner-step").Labels;
        var nextCell = ProbeTargets.Compute(set, "corner-next").Labels;
        var near = ProbeTargets.Compute(set, "cheese-within-3").Labels;
        var agent = ProbeTargets.Compute(set, "agent").Labels;
        var cornerCell = world.Width + world.Width - 2;
        for (var i = 0; i < set.Count; i++)
        {
            var cells = set.CellsOf(i);
            Assert.Equal(cells.IndexOf((byte)'C'), cheese[i]);
            Assert.Equal(cornerCell, corner[i]);
            Assert.Equal(set.AgentCells[i], agent[i]);
            Assert.NotEqual((byte)'#', cells[agent[i]]);
            var distance = Bfs(cells, world.Width, cornerCell);
            if (agent[i] == cornerCell)
            {
                Assert.Equal(-1, step[i]);
                Assert.Equal(-1, nextCell[i]);
            }
            else
            {
                var letter = world.ActionLetters[step[i]];
                var next = agent[i] + (Grid.Moves.RowDelta(letter) * world.Width) + Grid.Moves.ColDelta(letter);
                Assert.Equal(distance[agent[i]] - 1, distance[next]);
                Assert.Equal(next, nextCell[i]);
            }

            Assert.Equal(Bfs(cells, world.Width, cheese[i])[agent[i]] <= 3 ? 1 : 0, near[i]);
        }

        Assert.True(step.Distinct().Count() > 1 && cheese.Distinct().Count() > 5);
        Assert.Equal([true, true, false, true, false], new[] { "cheese", "agent", "corner-step", "corner-next", "cheese-within-3" }.Select(t => ProbeTargets.Compute(set, t).IsCell));
    }

    [Fact]
    public void The_same_seed_draws_the_same_observations()
    {
        var a = Draw(40, 9, anywhere: true);
        var b = Draw(40, 9, anywhere: true);
        var c = Draw(40, 10, anywhere: true);

        Assert.True(a.Observations.SequenceEqual(b.Observations));
        Assert.Equal(a.AgentCells, b.AgentCells);
        Assert.False(a.Observations.SequenceEqual(c.Observations));
    }

    [Fact]
    public void A_probe_reads_the_cheese_cell_from_a_convolution_of_a_random_network()
    {
        // Even an untrained CNN keeps the cheese channel's position in its feature map; the control must not.
        var set = Draw(600, 4);
        var network = Cnn(set);
        var layer = Activations.Record(network, set.Observations, set.Count, Activations.Resolve(network, "cact1"));
        var report = LinearProbe.FitWithControl(layer.Values, set.Count, ProbeTargets.Compute(set, "cheese").Labels, new ProbeOptions { Seed = 1, Iterations = 100 });

        Assert.True(report.Probe.Accuracy.Mean >= 0.9, $"probe {report.Probe.Accuracy}");
        Assert.True(report.Control.Accuracy.Mean <= 0.2, $"control {report.Control.Accuracy}");
    }

    [Fact]
    public void The_activation_file_holds_activations_and_labels()
    {
        var set = Draw(20, 5);
        var network = Cnn(set);
        var layer = Activations.Record(network, set.Observations, set.Count, Activations.Resolve(network, "fc1"));
        using var stream = new MemoryStream();
        ActivationFile.Save(new NonClosing(stream), layer, set, new Dictionary<string, string> { ["run"] = "7" });
        stream.Position = 0;
        var metadata = new Dictionary<string, string>();
        var tensors = Safetensors.Load(stream, metadata);

        Assert.Equal([20, 32], tensors["activations"].Shape);
        Assert.Equal(layer.Values, tensors["activations"].Values.ToArray());
        Assert.Equal(set.AgentCells.Select(c => (float)c), tensors["agent_cell"].Values.ToArray());
        Assert.Equal(ProbeTargets.Compute(set, "cheese").Labels.Select(c => (float)c), tensors["cheese_cell"].Values.ToArray());
        Assert.True(tensors.ContainsKey("corner_distance"));
        Assert.Equal("fc1", metadata["layer"]);
        Assert.Equal("7", metadata["run"]);
    }

    [Fact]
    public void Bad_input_is_refused_in_one_line()
    {
        var set = Draw(10, 6);
        var network = Cnn(set);
        var world = Cheese.Build(new BuildOptions(Set: Small));
        var random = RandomAgent.Definition.Create(world, RandomAgent.Definition.Preset("default"));

        var errors = new[]
        {
            Assert.Throws<UserInputException>(() => Activations.Resolve(network, "conv9")),
            Assert.Throws<UserInputException>(() => Activations.Resolve(network, "99")),
            Assert.Throws<UserInputException>(() => ProbeTargets.Compute(set, "chese")),
            Assert.Throws<UserInputException>(() => ProbeTargets.Compute(set, "cheese-within-x")),
            Assert.Throws<UserInputException>(() => TrainedNetwork.FromAgent(Cheese, Small, random, 4)),
            Assert.Throws<UserInputException>(() => ObservationSet.Draw(Cheese, new ObservationSetOptions { Distribution = "deploi", Set = Small })),
            Assert.Throws<UserInputException>(() => ObservationSet.Draw(Cheese, new ObservationSetOptions { Levels = 0, Set = Small })),
        };

        Assert.All(errors, e => Assert.DoesNotContain('\n', e.Message));
        Assert.Contains("conv1", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("cheese", errors[2].Message, StringComparison.Ordinal);
        Assert.Contains("ppo or dqn", errors[4].Message, StringComparison.Ordinal);
    }

    private static int[] Bfs(ReadOnlySpan<byte> cells, int width, int target)
    {
        var distance = new int[cells.Length];
        Array.Fill(distance, int.MaxValue);
        if (target < 0)
        {
            return distance;
        }

        var queue = new Queue<int>();
        distance[target] = 0;
        queue.Enqueue(target);
        while (queue.Count > 0)
        {
            var cell = queue.Dequeue();
            foreach (var next in new[] { cell - width, cell + width, cell - 1, cell + 1 })
            {
                if (next >= 0 && next < cells.Length && cells[next] != '#' && distance[next] == int.MaxValue)
                {
                    distance[next] = distance[cell] + 1;
                    queue.Enqueue(next);
                }
            }
        }

        return distance;
    }

    private sealed class NonClosing(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value) => inner.SetLength(value);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }
}
