using System.Globalization;
using AlignLab.Errors;
using AlignLab.Grid;

namespace AlignLab.Agents;

/// <summary>
/// The sizes an agent must stay within for its checkpoint to be written, stored and read back, checked from its
/// options and world before the agent is made (so an oversized network fails at once, not when its first checkpoint
/// is written): a neural agent's optimiser state goes into the safetensors header as base64 (about 10.7 bytes per
/// trained parameter), which a reader accepts up to 100 MB, and the whole checkpoint is one blob of the run store.
/// </summary>
public static class CheckpointLimits
{
    /// <summary>The most trained parameters (all networks the optimiser updates) a neural agent may have.</summary>
    public const long MaxParameters = 8_000_000;

    /// <summary>The largest checkpoint, in bytes (networks, target network, replay buffer), an agent may write.</summary>
    public const long MaxBytes = 900_000_000;

    /// <summary>Refuses an agent whose networks have more than <see cref="MaxParameters"/> trained parameters or whose checkpoint would pass <see cref="MaxBytes"/>.</summary>
    /// <param name="agent">The agent's name, for the message.</param>
    /// <param name="world">The world the agent is made for, for the message.</param>
    /// <param name="trained">Parameters the optimiser updates.</param>
    /// <param name="bytes">Bytes of the checkpoint's tensors (networks, target network, replay buffer), the optimiser state not included.</param>
    /// <param name="hidden">The hidden layer sizes, for the message.</param>
    /// <param name="buffer">What else the checkpoint holds, for the message (" and a replay buffer of N transitions"), or empty.</param>
    /// <exception cref="UserInputException">Over a limit; the message gives the sizes and what to change.</exception>
    internal static void Check(string agent, GridWorld world, double trained, double bytes, IReadOnlyList<int> hidden, string buffer)
    {
        var layers = string.Join(", ", hidden);
        if (trained > MaxParameters)
        {
            throw new UserInputException(string.Create(CultureInfo.InvariantCulture, $"{agent}: hidden layers [{layers}] on {world.Id} make networks of {trained:N0} parameters; a checkpoint holds at most {MaxParameters:N0} (its optimiser state must fit the checkpoint's header). Use smaller hidden layers."));
        }

        // The optimiser's two moments per parameter, stored as base64.
        bytes += trained * 8 * 4 / 3;
        if (bytes > MaxBytes)
        {
            throw new UserInputException(string.Create(CultureInfo.InvariantCulture, $"{agent}: a checkpoint of networks of {trained:N0} parameters{buffer} on {world.Id} would take {bytes / 1e6:N0} MB; the limit is {MaxBytes / 1e6:N0} MB. Use smaller hidden layers{(buffer.Length > 0 ? " or a smaller buffer-size" : string.Empty)}."));
        }
    }

    /// <summary>
    /// The most working memory, in bytes, an agent's buffers and activations may need (PPO's rollout and minibatch
    /// activations), checked from its options before anything is allocated: room to spare on a 24 GB machine.
    /// </summary>
    public const long MaxWorkingBytes = 4_000_000_000;

    /// <summary>Refuses an agent whose rollout buffers and activations would take more than <see cref="MaxWorkingBytes"/>.</summary>
    /// <param name="agent">The agent's name, for the message.</param>
    /// <param name="world">The world the agent is made for, for the message.</param>
    /// <param name="bytes">The estimated bytes.</param>
    /// <param name="what">What takes them and what to lower, for the message.</param>
    /// <exception cref="UserInputException">Over the limit.</exception>
    internal static void CheckWorkingMemory(string agent, GridWorld world, double bytes, string what)
    {
        if (bytes > MaxWorkingBytes)
        {
            throw new UserInputException(string.Create(CultureInfo.InvariantCulture, $"{agent}: {what} on {world.Id} would need about {bytes / 1e9:N1} GB of working memory; the limit is {MaxWorkingBytes / 1e9:N0} GB."));
        }
    }

    /// <summary>
    /// Floats of activation one row (an environment or a sample) takes through the network
    /// <see cref="AgentNetworks.Build"/> makes: the input, every convolution's output and every layer's.
    /// </summary>
    internal static double ActivationsPerRow(GridWorld world, NetworkKind kind, IReadOnlyList<int> convChannels, IReadOnlyList<int> hidden, int outputs)
    {
        double total = world.Channels * (double)world.CellCount;
        if (kind == NetworkKind.Cnn)
        {
            total += convChannels.Sum(c => (double)c * world.CellCount);
        }

        return total + hidden.Sum(h => (double)h) + outputs;
    }

    /// <summary>Parameters of the network <see cref="AgentNetworks.Build"/> makes (weights and biases of every layer).</summary>
    internal static double Parameters(GridWorld world, NetworkKind kind, IReadOnlyList<int> convChannels, IReadOnlyList<int> hidden, int outputs)
    {
        double total = 0;
        double fan = world.Channels * (double)world.CellCount;
        if (kind == NetworkKind.Cnn)
        {
            double channels = world.Channels;
            foreach (var c in convChannels)
            {
                total += (channels * c * AgentNetworks.KernelSize * AgentNetworks.KernelSize) + c;
                channels = c;
            }

            fan = channels * world.CellCount;
        }

        foreach (var h in hidden.Append(outputs))
        {
            total += (fan + 1) * h;
            fan = h;
        }

        return total;
    }
}
