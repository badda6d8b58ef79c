namespace AlignLab.Envs;

/// <summary>The spaces of an environment: what an observation looks like and which actions exist.</summary>
public sealed record EnvSpec
{
    /// <summary>Creates a spec; channel names must match the channel count.</summary>
    public EnvSpec(string id, int channels, int height, int width, string actionLetters, IReadOnlyList<string> channelNames, int maxSteps, IReadOnlyList<string>? extraNames = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentException.ThrowIfNullOrEmpty(actionLetters);
        if (channelNames.Count != channels)
        {
            throw new ArgumentException("One name per channel is needed.", nameof(channelNames));
        }

        Id = id;
        Channels = channels;
        Height = height;
        Width = width;
        ActionLetters = actionLetters;
        ChannelNames = channelNames;
        MaxSteps = maxSteps;
        ExtraNames = extraNames ?? [];
    }

    /// <summary>The registered id, <c>Name-vN</c>.</summary>
    public string Id { get; }

    /// <summary>Number of one-hot channels (C).</summary>
    public int Channels { get; }

    /// <summary>Board height in cells (H).</summary>
    public int Height { get; }

    /// <summary>Board width in cells (W).</summary>
    public int Width { get; }

    /// <summary>One letter per action, in action-index order: U, D, L, R and, where offered, N (no-op).</summary>
    public string ActionLetters { get; }

    /// <summary>The board character each channel marks, as a one-character string.</summary>
    public IReadOnlyList<string> ChannelNames { get; }

    /// <summary>Names of the extra observations, in the order of <see cref="IEnvironment.Extras"/>.</summary>
    public IReadOnlyList<string> ExtraNames { get; }

    /// <summary>The episode step limit; reaching it truncates the episode.</summary>
    public int MaxSteps { get; }

    /// <summary>Number of discrete actions.</summary>
    public int ActionCount => ActionLetters.Length;

    /// <summary>Length of a flattened observation, C·H·W.</summary>
    public int ObservationLength => Channels * Height * Width;

    /// <summary>The action index of a letter (case-insensitive), or -1 if this environment has no such action.</summary>
    public int ActionIndex(char letter) => ActionLetters.IndexOf(char.ToUpperInvariant(letter), StringComparison.Ordinal);
}
