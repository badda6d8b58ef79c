using System.Globalization;
using AlignLab.Nn;

namespace AlignLab.Interpretability;

/// <summary>
/// Writes recorded activations as a safetensors file: <c>activations</c> [N, …layer shape], and the labels probes need as
/// F32 tensors holding whole numbers (safetensors here stores F32 only): <c>agent_cell</c> [N], and for each candidate
/// goal <c>GOAL_cell</c> [N] (−1 where absent) and <c>GOAL_distance</c> [N] (moves from the agent, −1 unreachable).
/// Cells are row · width + col. The metadata names the run, scenario, parameters, distribution, seed, layer and map size.
/// </summary>
public static class ActivationFile
{
    /// <summary>Saves <paramref name="activations"/> recorded on <paramref name="observations"/> to <paramref name="path"/>.</summary>
    public static void Save(string path, ActivationSet activations, ObservationSet observations, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(observations);
        ArgumentNullException.ThrowIfNull(metadata);
        Save(File.Create(path), activations, observations, metadata);
    }

    /// <summary>Writes the file to <paramref name="stream"/> and closes it.</summary>
    public static void Save(Stream stream, ActivationSet activations, ObservationSet observations, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(observations);
        ArgumentNullException.ThrowIfNull(metadata);
        var n = observations.Count;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["activations"] = new Tensor(activations.Values, [n, .. activations.Shape]),
            ["agent_cell"] = new Tensor([.. observations.AgentCells.Select(c => (float)c)], [n]),
        };
        var world = observations.World;
        var distance = new int[world.CellCount];
        var queue = new int[world.CellCount];
        foreach (var goal in world.Goals)
        {
            var cells = new float[n];
            var distances = new float[n];
            for (var i = 0; i < n; i++)
            {
                var cell = observations.GoalCell(goal, i);
                cells[i] = cell;
                observations.DistancesTo(i, cell, distance, queue);
                distances[i] = cell < 0 ? -1 : distance[observations.AgentCells[i]];
            }

            tensors[goal.Name + "_cell"] = new Tensor(cells, [n]);
            tensors[goal.Name + "_distance"] = new Tensor(distances, [n]);
        }

        var meta = new Dictionary<string, string>(metadata, StringComparer.Ordinal)
        {
            ["layer"] = activations.Layer,
            ["layer_index"] = activations.LayerIndex.ToString(CultureInfo.InvariantCulture),
            ["distribution"] = observations.Distribution,
            ["height"] = world.Height.ToString(CultureInfo.InvariantCulture),
            ["width"] = world.Width.ToString(CultureInfo.InvariantCulture),
            ["goals"] = string.Join(",", world.Goals.Select(g => g.Name)),
        };
        using (stream)
        {
            Safetensors.Save(stream, tensors, meta);
        }
    }
}
